"""Route work to a queue by its expected duration, and enqueue it with a timeout and retries."""

import math
from collections.abc import Callable, Sequence
from datetime import datetime

import redis
from rq import Queue, Retry
from rq.job import JobStatus

from perf_engine.core.errors import InvalidInput

# (queue, jobs expected to finish in under this many seconds, job timeout in seconds)
SEGMENTS = (("short", 60, 300), ("default", 300, 1500), ("long", 3600, 7200))
HEAVY = "heavy"
HEAVY_TIMEOUT_FACTOR = 2
FALLBACK_FOR_HEAVY = "long"
# Work expected to run longer than this is no job for a queue: it would outlive any timeout we set.
MAX_ESTIMATED_S = 7 * 24 * 3600


def check_duration(estimated_s: object) -> float:
	"""A duration a job can be routed by: seconds above 0, at most a week (inf or NaN has no queue)."""
	if (
		not isinstance(estimated_s, int | float)
		or isinstance(estimated_s, bool)
		or not math.isfinite(estimated_s)
		or not 0 < estimated_s <= MAX_ESTIMATED_S
	):
		raise InvalidInput(
			f"Estimated duration must be positive and at most {MAX_ESTIMATED_S:,} s (a week), got {estimated_s!r}"
		)
	return float(estimated_s)


def route(estimated_s: float, available: Sequence[str]) -> tuple[str, int]:
	"""Queue and timeout for a job of this expected duration on a bench with these queues."""
	estimated_s = check_duration(estimated_s)
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
	at: datetime | None = None,
	**kwargs,
) -> str:
	"""Enqueue `func(**kwargs)` on the routed queue with RQ's Retry, or schedule it for `at` (UTC);
	returns the job id."""
	if retries < 0:
		raise InvalidInput("Retries cannot be negative")
	queue_key, timeout = route(estimated_s, available)
	queue = Queue(queue_name(queue_key), connection=connection)
	options = {
		"kwargs": kwargs,
		"timeout": timeout,
		"retry": Retry(max=retries, interval=list(retry_intervals)) if retries else None,
		"job_id": job_id,
	}
	if at is None:
		return queue.enqueue_call(func, **options).id
	return queue.schedule_job(queue.create_job(func, status=JobStatus.SCHEDULED, **options), at).id
