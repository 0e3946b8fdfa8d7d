"""Queue status with 100k queued jobs: our pipelined counts against listing every job.

Goal (issue 5): under 50 ms and at least 100x faster than loading the jobs, in one run.
"""

import statistics
import time

from rq import Queue

from perf_engine.core.jobs.queue_status import queue_status
from tests.services import claimed_redis_db

QUEUES = {"default": "bench:default", "short": "bench:short", "long": "bench:long"}
BATCH = 5000


def fill(client, total: int) -> None:
	"""Spread `total` real RQ jobs over the queues, enqueued in pipelined batches."""
	queues = [Queue(name, connection=client) for name in QUEUES.values()]
	for start in range(0, total, BATCH):
		for index, queue in enumerate(queues):
			count = len(range(start + index, min(start + BATCH, total), len(queues)))
			queue.enqueue_many([Queue.prepare_data("tests.jobfuncs.add", args=(i, 1)) for i in range(count)])


def timed(func, repeat: int) -> list[float]:
	times = []
	for _ in range(repeat):
		started = time.perf_counter()
		func()
		times.append(time.perf_counter() - started)
	return times


def run(quick: bool) -> str:
	total = 5_000 if quick else 100_000
	with claimed_redis_db() as claimed:
		client = claimed.client
		fill(client, total)
		status = timed(lambda: queue_status(client, QUEUES), 30)
		listing = timed(
			lambda: [Queue(name, connection=client).get_jobs() for name in QUEUES.values()], 3 if quick else 1
		)
		counted = sum(row["queued"] for row in queue_status(client, QUEUES))
	ours, baseline = statistics.median(status), statistics.median(listing)
	return (
		f"## Queue status with {total:,} queued jobs (issue 5)\n\n"
		f"| measure | median | \n|---|---|\n"
		f"| `queue_status` (one pipeline of LLEN/ZCARD + head job + workers) | {ours * 1000:.2f} ms |\n"
		f"| baseline: `Queue.get_jobs()` for every queue | {baseline * 1000:.0f} ms |\n\n"
		f"Ratio: **{baseline / ours:,.0f}x faster** (goal >= 100x); absolute {ours * 1000:.2f} ms (goal < 50 ms). "
		f"Counted {counted:,} queued jobs.\n"
	)
