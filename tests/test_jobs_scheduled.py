"""Scheduled enqueue by expected duration, and moving due scheduled jobs onto their queues."""

import time
from datetime import datetime, timedelta, timezone

from rq import Queue
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry
from rq.scheduler import RQScheduler

from perf_engine.core.jobs import keys, scheduled
from perf_engine.core.jobs.routing import enqueue_routed
from tests.test_jobs_routing import wait_for_status

QUEUES = ("default", "short", "long")


def schedule_add(redis_client, delay_s: float) -> Job:
	"""A 10 s job (so routed to short) scheduled `delay_s` from now."""
	at = datetime.now(timezone.utc) + timedelta(seconds=delay_s)
	job_id = enqueue_routed(
		redis_client, lambda q: f"s:{q}", QUEUES, "tests.jobfuncs.add", estimated_s=10, at=at, a=2, b=3
	)
	return Job.fetch(job_id, connection=redis_client)


def test_scheduled_enqueue_waits_in_the_routed_queues_registry(redis_client):
	"""A job scheduled for later is routed like any other but sits in the scheduled registry, not the queue."""
	job = schedule_add(redis_client, 60)
	queue = Queue("s:short", connection=redis_client)
	assert (job.origin, job.timeout, job.get_status()) == ("s:short", 300, JobStatus.SCHEDULED)
	assert queue.count == 0
	assert job.id in ScheduledJobRegistry(queue=queue).get_job_ids()


def test_due_jobs_move_to_their_queue_and_run(redis_client, start_worker):
	"""Nothing moves before the job is due; once due it is enqueued and a real worker runs it."""
	job = schedule_add(redis_client, 60)
	assert scheduled.promote_due(redis_client, ["s:short"], now=time.time()) == {"s:short": 0}
	assert scheduled.promote_due(redis_client, ["s:short"], now=time.time() + 61) == {"s:short": 1}
	queue = Queue("s:short", connection=redis_client)
	assert queue.job_ids == [job.id]
	assert ScheduledJobRegistry(queue=queue).count == 0
	assert not redis_client.exists(RQScheduler.get_locking_key("s:short"))
	start_worker(["s:short"])
	wait_for_status(job, JobStatus.FINISHED)
	assert job.return_value() == 5


def test_a_queue_whose_scheduler_lock_is_held_is_left_alone(redis_client):
	"""Where a real RQ scheduler holds the queue's lock, it promotes; this leaves the job where it is."""
	job = schedule_add(redis_client, 0)
	redis_client.set(RQScheduler.get_locking_key("s:short"), "other", ex=60)
	assert scheduled.promote_due(redis_client, ["s:short"], now=time.time() + 1) == {}
	assert job.id in ScheduledJobRegistry(queue=Queue("s:short", connection=redis_client)).get_job_ids()


def test_a_deleted_job_is_dropped_from_the_registry(redis_client):
	"""A scheduled id whose job hash is gone is removed rather than enqueued or kept forever."""
	job = schedule_add(redis_client, 0)
	redis_client.delete(job.key)
	assert scheduled.promote_due(redis_client, ["s:short"], now=time.time() + 1) == {"s:short": 0}
	queue = Queue("s:short", connection=redis_client)
	assert queue.count == 0 and ScheduledJobRegistry(queue=queue).count == 0


def test_two_sites_ticks_in_one_minute_promote_once(redis_client):
	"""The first caller in a turn promotes for the bench; a second caller in the same turn returns at once."""
	first_job, second_job = schedule_add(redis_client, 0), schedule_add(redis_client, 0)
	queue = Queue("s:short", connection=redis_client)
	ScheduledJobRegistry(queue=queue).remove(second_job)  # due only after the first tick
	assert scheduled.promote_due_once_per_bench(redis_client, ["s:short"], now=time.time() + 1) == {
		"s:short": 1
	}
	ScheduledJobRegistry(queue=queue).schedule(second_job, datetime.now(timezone.utc))
	assert scheduled.promote_due_once_per_bench(redis_client, ["s:short"], now=time.time() + 1) is None
	assert queue.job_ids == [first_job.id]
	assert 0 < redis_client.ttl(keys.BENCH_PROMOTE) <= scheduled.BENCH_TURN_S


def test_after_the_turn_expires_the_work_runs_again(redis_client):
	"""Once the turn's short expiry has passed, the next caller promotes what became due meanwhile."""
	assert scheduled.promote_due_once_per_bench(redis_client, ["s:short"], turn_s=1) == {"s:short": 0}
	job = schedule_add(redis_client, 0)
	assert scheduled.promote_due_once_per_bench(redis_client, ["s:short"], turn_s=1) is None
	deadline = time.monotonic() + 5
	while redis_client.exists(keys.BENCH_PROMOTE) and time.monotonic() < deadline:
		time.sleep(0.05)
	moved = scheduled.promote_due_once_per_bench(redis_client, ["s:short"], now=time.time() + 1, turn_s=1)
	assert moved == {"s:short": 1}
	assert Queue("s:short", connection=redis_client).job_ids == [job.id]
