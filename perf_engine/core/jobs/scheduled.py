"""Move RQ jobs whose scheduled time has come onto their queues.

Frappe v15 starts its workers without RQ's scheduler, so a job scheduled for later (an
event delivery's retry, RQ's Retry with an interval) would wait forever. This does what
RQ's scheduler does, with its per-queue lock: where a real RQ scheduler holds the lock,
that queue is left to it.

The queue Redis is the bench's, so this is bench-wide work: every site's tick asks, and only
the first in a turn (BENCH_TURN_S) does it for all.
"""

import os
import socket
import time
from collections.abc import Iterable

import redis
from rq.job import Job
from rq.queue import Queue
from rq.registry import ScheduledJobRegistry
from rq.scheduler import RQScheduler

from perf_engine.core.jobs import keys

LOCK_TTL_S = 60
CHUNK = 1000  # jobs moved per queue per call; the rest wait for the next tick
# Longer than the sites' ticks of one scheduler pass take to run, shorter than the pass interval, so the
# first site's tick of each pass finds the turn free again; the bench's tick passes half its interval.
BENCH_TURN_S = 50


def promote_due_once_per_bench(
	connection: redis.Redis,
	queue_names: Iterable[str],
	now: float | None = None,
	turn_s: int = BENCH_TURN_S,
) -> dict[str, int] | None:
	"""`promote_due` for the first caller in `turn_s` seconds; None for the others, whose work it already did."""
	if not take_bench_turn(connection, keys.BENCH_PROMOTE, turn_s):
		return None
	return promote_due(connection, queue_names, now)


def take_bench_turn(connection: redis.Redis, key: str, turn_s: int) -> bool:
	"""Whether this caller is the first to ask for `key` in `turn_s` seconds; the turn is never released
	early, so every other site's tick of the same pass returns at once."""
	holder = f"{socket.gethostname()}:{os.getpid()}"
	return bool(connection.set(key, holder, nx=True, ex=turn_s))


def promote_due(
	connection: redis.Redis, queue_names: Iterable[str], now: float | None = None
) -> dict[str, int]:
	"""For each queue, enqueue its scheduled jobs due by `now`; returns how many moved per queue."""
	now = time.time() if now is None else now
	moved = {}
	for name in queue_names:
		lock = RQScheduler.get_locking_key(name)
		if not connection.set(lock, os.getpid(), nx=True, ex=LOCK_TTL_S):
			continue
		try:
			moved[name] = promote_queue(connection, Queue(name, connection=connection), now)
		finally:
			connection.delete(lock)
	return moved


def promote_queue(connection: redis.Redis, queue: Queue, now: float) -> int:
	"""One queue's due jobs, moved in one pipeline as RQ's scheduler moves them."""
	registry = ScheduledJobRegistry(queue=queue)
	job_ids = registry.get_jobs_to_schedule(int(now), CHUNK)
	if not job_ids:
		return 0
	jobs = [job for job in Job.fetch_many(job_ids, connection=connection) if job is not None]
	with connection.pipeline() as pipeline:
		for job in jobs:
			queue._enqueue_job(job, pipeline=pipeline, at_front=bool(job.enqueue_at_front))
		for job_id in job_ids:
			pipeline.zrem(registry.key, job_id)
		pipeline.execute()
	return len(jobs)
