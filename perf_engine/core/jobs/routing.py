"""Route work to a queue by its expected duration, and enqueue it with a timeout and retries."""

from collections.abc import Callable, Sequence

import redis
from rq import Queue, Retry

from perf_engine.core.errors import InvalidInput

# (queue, jobs expected to finish in under this many seconds, job timeout in seconds)
SEGMENTS = (("short", 60, 300), ("default", 300, 1500), ("long", 3600, 7200))
HEAVY = "heavy"
HEAVY_TIMEOUT_FACTOR = 2
FALLBACK_FOR_HEAVY = "long"


def route(estimated_s: float, available: Sequence[str]) -> tuple[str, int]:
	"""Queue and timeout for a job of this expected duration on a bench with these queues."""
	if estimated_s <= 0:
		raise InvalidInput(f"Estimated duration must be positive, got {estimated_s}")
	for queue, below_s, timeout_s in SEGMENTS:
		if estimated_s < below_s:
			return queue, timeout_s
	timeout = int(max(SEGMENTS[-1][2], estimated_s * HEAVY_TIMEOUT_FACTOR))
	return (HEAVY if HEAVY in available else FALLBACK_FOR_HEAVY), timeout


def enqueue_routed(
	connection: redis.Redis,
	queue_name: Callable[[str], str],
	available: Sequence[str],
	func: Callable | str,
	estimated_s: float,
	retries: int = 0,
	retry_intervals: Sequence[int] = (60,),
	job_id: str | None = None,
	**kwargs,
) -> str:
	"""Enqueue `func(**kwargs)` on the routed queue with RQ's Retry; returns the job id."""
	if retries < 0:
		raise InvalidInput("Retries cannot be negative")
	queue, timeout = route(estimated_s, available)
	job = Queue(queue_name(queue), connection=connection).enqueue_call(
		func,
		kwargs=kwargs,
		timeout=timeout,
		retry=Retry(max=retries, interval=list(retry_intervals)) if retries else None,
		job_id=job_id,
	)
	return job.id
