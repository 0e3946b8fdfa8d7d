"""Stalled-job detection, stop and requeue with real rq worker processes."""

import time
from datetime import datetime, timedelta, timezone

import pytest
from rq import Queue
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry

from perf_engine.core.errors import InvalidInput
from perf_engine.core.jobs.actions import requeue_job, stop_job
from perf_engine.core.jobs.stalls import REQUEUE, STOP, WARN, StallLimits, detect

QUEUES = {"default": "bench:default", "long": "bench:long"}


def wait_for(condition, timeout_s: float = 20):
	"""Poll until condition() is truthy; returns its value or fails the test."""
	deadline = time.monotonic() + timeout_s
	while time.monotonic() < deadline:
		value = condition()
		if value:
			return value
		time.sleep(0.1)
	pytest.fail(f"condition not met within {timeout_s}s")


def started(job: Job) -> bool:
	return job.get_status(refresh=True) == JobStatus.STARTED


def test_job_running_past_the_limit_is_detected_then_stopped(redis_client, start_worker):
	"""A job sleeping past a 1 s limit is reported (warn, then stop past 2x), and stop really stops it."""
	start_worker([QUEUES["long"]])
	job = Queue(QUEUES["long"], connection=redis_client).enqueue(
		"tests.jobfuncs.sleep_for", 60, job_id="a.local::slow"
	)
	wait_for(lambda: started(job))
	limits = StallLimits(stall_after_s=1, queue_wait_limit_s=600)
	first = wait_for(lambda: [f for f in detect(redis_client, QUEUES, limits) if f.job_id == job.id])
	assert (
		first[0].kind == "long_running"
		and first[0].site == "a.local"
		and first[0].method == "tests.jobfuncs.sleep_for"
	)
	assert first[0].action in (WARN, STOP)
	later = wait_for(
		lambda: [f for f in detect(redis_client, QUEUES, limits) if f.job_id == job.id and f.action == STOP]
	)
	assert later[0].age_s >= 2
	assert stop_job(redis_client, job.id)["action"] == "stop sent"
	wait_for(lambda: job.get_status(refresh=True) in (JobStatus.STOPPED, JobStatus.FAILED))
	assert not [
		f for f in detect(redis_client, QUEUES, limits) if f.job_id == job.id and f.kind == "long_running"
	]


def test_sigkilled_worker_leaves_an_orphan_found_once_its_heartbeat_lapses(
	redis_client, start_worker, tmp_path
):
	"""Killing worker and horse mid-job leaves an orphan detected after the heartbeat grace; requeue reruns it."""
	worker = start_worker([QUEUES["default"]])
	queue = Queue(QUEUES["default"], connection=redis_client)
	job = queue.enqueue(
		"tests.jobfuncs.sleep_first_time", str(tmp_path / "marker"), 60, job_id="a.local::orphan"
	)
	wait_for(lambda: started(job))
	worker.kill()
	killed_at = time.monotonic()
	limits = StallLimits(stall_after_s=3600, heartbeat_grace_s=2)
	orphans = wait_for(lambda: [f for f in detect(redis_client, QUEUES, limits) if f.kind == "orphaned"])
	assert time.monotonic() - killed_at < 30, "found long before RQ's own maintenance would"
	assert (orphans[0].job_id, orphans[0].worker, orphans[0].action) == (job.id, worker.name, REQUEUE)
	assert redis_client.zscore(StartedJobRegistry(queue=queue).key, job.id), (
		"still in started: RQ has not noticed"
	)
	with pytest.raises(InvalidInput, match="no live worker"):
		stop_job(redis_client, job.id, heartbeat_grace_s=2)
	assert requeue_job(redis_client, job.id, heartbeat_grace_s=2)["action"] == "requeued orphan"
	assert job.get_status(refresh=True) == JobStatus.QUEUED
	start_worker([QUEUES["default"]])
	wait_for(lambda: job.get_status(refresh=True) == JobStatus.FINISHED)
	assert job.return_value() == "second run"


def test_queue_with_jobs_and_no_worker_is_flagged(redis_client):
	"""A queue whose oldest job has waited past the limit is reported with its workers count."""
	job = Queue(QUEUES["default"], connection=redis_client).enqueue(
		"tests.jobfuncs.add", 1, 2, job_id="a.local::waiting"
	)
	redis_client.hset(
		job.key,
		"enqueued_at",
		(datetime.now(timezone.utc) - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
	)
	findings = detect(redis_client, QUEUES, StallLimits(queue_wait_limit_s=600))
	waiting = [f for f in findings if f.kind == "queue_waiting"]
	assert waiting and waiting[0].queue == "default" and "0 worker(s) listening" in waiting[0].detail
	assert waiting[0].action == WARN  # 30 min is less than twice the 10 min limit


def test_stuck_scheduled_job_is_reported_as_zombie(redis_client):
	"""Frappe's scheduled job id stuck in the queue is named as what makes the scheduler skip that job."""
	job_id = "a.local::scheduled_job::erpnext.tasks.hourly_reminders"
	job = Queue(QUEUES["long"], connection=redis_client).enqueue("tests.jobfuncs.add", 1, 2, job_id=job_id)
	redis_client.hset(
		job.key,
		"enqueued_at",
		(datetime.now(timezone.utc) - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
	)
	zombies = [f for f in detect(redis_client, QUEUES, StallLimits()) if f.kind == "zombie_scheduled"]
	assert zombies[0].job_id == job_id and zombies[0].site == "a.local"
	assert "skips this job type" in zombies[0].detail


def test_jobs_rq_moved_to_failed_as_abandoned_are_reported(redis_client):
	"""After RQ's own cleanup moves an expired started job to failed, it is reported as abandoned."""
	queue = Queue(QUEUES["default"], connection=redis_client)
	job = queue.enqueue("tests.jobfuncs.add", 1, 2, job_id="a.local::abandoned")
	registry = StartedJobRegistry(queue=queue)
	redis_client.zadd(registry.key, {job.id: time.time() - 10})
	registry.cleanup()
	abandoned = [f for f in detect(redis_client, QUEUES, StallLimits()) if f.kind == "abandoned"]
	assert abandoned[0].job_id == job.id and abandoned[0].action == REQUEUE
	assert requeue_job(redis_client, job.id)["action"] == "requeued"
	assert job.get_status(refresh=True) == JobStatus.QUEUED


def test_stop_and_requeue_refuse_what_they_cannot_do(redis_client):
	"""Unknown ids and finished jobs are refused with a reason; a queued job is canceled by stop."""
	with pytest.raises(InvalidInput, match="No job with id"):
		stop_job(redis_client, "a.local::nope")
	job = Queue(QUEUES["default"], connection=redis_client).enqueue("tests.jobfuncs.add", 1, 2)
	with pytest.raises(InvalidInput, match="only failed or orphaned"):
		requeue_job(redis_client, job.id)
	assert stop_job(redis_client, job.id)["action"] == "canceled"
	assert job.get_status(refresh=True) == JobStatus.CANCELED
