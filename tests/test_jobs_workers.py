"""One definition of a live worker: queue status, the capacity comparison and doctor agree."""

import time
from datetime import datetime, timedelta, timezone

from rq import Queue

from perf_engine.core.capacity.bench_comparison import live_workers_per_queue
from perf_engine.core.health.doctor import rq_report
from perf_engine.core.jobs.keys import WORKER
from perf_engine.core.jobs.queue_status import queue_status
from perf_engine.core.jobs.workers import HEARTBEAT_GRACE_S

QUEUES = {"default": "bench-w:default"}


def test_a_sigkilled_busy_worker_is_dead_everywhere_and_nothing_is_removed(redis_client, start_worker):
	"""Past the heartbeat grace a SIGKILLed busy worker counts nowhere, and no read deletes its key."""
	worker = start_worker([QUEUES["default"]])
	Queue(QUEUES["default"], connection=redis_client).enqueue("tests.jobfuncs.sleep_for", 30)
	deadline = time.monotonic() + 15
	while time.monotonic() < deadline and redis_client.hget(WORKER.format(worker.name), "state") != b"busy":
		time.sleep(0.05)
	assert live_workers_per_queue(redis_client, QUEUES) == {"default": 1}
	worker.kill()
	later = datetime.now(timezone.utc) + timedelta(seconds=HEARTBEAT_GRACE_S + 1)

	assert queue_status(redis_client, QUEUES, now=later)[0]["workers"]["total"] == 0
	assert live_workers_per_queue(redis_client, QUEUES, now=later) == {"default": 0}
	assert redis_client.exists(WORKER.format(worker.name))
	registered = {w["name"]: w for w in rq_report(redis_client, now=later)["workers"]}
	assert (registered[worker.name]["state"], registered[worker.name]["alive"]) == ("busy", False)
	assert redis_client.exists(WORKER.format(worker.name))
