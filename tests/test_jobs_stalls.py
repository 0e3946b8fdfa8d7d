"""Stalled-job detection, stop and requeue with real rq worker processes."""

import contextlib
import os
import signal
import time
from datetime import datetime, timedelta, timezone

import pytest
from rq import Queue
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, StartedJobRegistry

from perf_engine.core.errors import InvalidInput
from perf_engine.core.jobs.actions import requeue_job, stop_job
from perf_engine.core.jobs.keys import WORKER
from perf_engine.core.jobs.stalls import REQUEUE, STOP, WARN, WORKER_LOST, StallLimits, detect
from perf_engine.core.jobs.worker_hosts import recall
from perf_engine.core.jobs.workers import HEARTBEAT_GRACE_S, MIN_HEARTBEAT_GRACE_S

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


def wait_recorded(client, worker, job: Job) -> None:
	"""Wait until the job's horse has recorded its host, as Frappe's before_job hook does as a job starts:
	a worker killed before that leaves a job whose host nobody knows."""
	wait_for(lambda: started(job))
	wait_for(lambda: (record := recall(client, [worker.name]).get(worker.name)) and record.job_id == job.id)


def backdate(client, job: Job, field: str, delta: timedelta) -> None:
	"""Make a job look as if this timestamp field were `delta` ago."""
	at = datetime.now(timezone.utc) - delta
	client.hset(job.key, field, at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))


def silence(client, worker_name: str, seconds: float) -> None:
	"""Make a worker's last heartbeat `seconds` old, as if that long had passed since it beat."""
	at = datetime.now(timezone.utc) - timedelta(seconds=seconds)
	client.hset(WORKER.format(worker_name), "last_heartbeat", at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))


def findings_for(client, job: Job, **limits) -> list:
	return [
		f for f in detect(client, QUEUES, StallLimits(stall_after_s=3600, **limits)) if f.job_id == job.id
	]


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
	"""Killing worker and horse mid-job leaves an orphan once the grace has passed; requeue reruns it."""
	worker = start_worker([QUEUES["default"]])
	queue = Queue(QUEUES["default"], connection=redis_client)
	marker = tmp_path / "marker"
	job = queue.enqueue("tests.jobfuncs.sleep_first_time", str(marker), 60, job_id="a.local::orphan")
	wait_for(marker.exists)
	worker.kill()
	assert not findings_for(redis_client, job), "a worker only just silent is not dead yet"
	silence(redis_client, worker.name, HEARTBEAT_GRACE_S + 1)
	orphans = findings_for(redis_client, job)
	assert [(f.kind, f.worker, f.action) for f in orphans] == [("orphaned", worker.name, REQUEUE)]
	assert "no process on" in orphans[0].detail and "will never finish" in orphans[0].detail
	assert redis_client.zscore(StartedJobRegistry(queue=queue).key, job.id), (
		"still in started: RQ has not noticed"
	)
	with pytest.raises(InvalidInput, match="no live worker"):
		stop_job(redis_client, job.id)
	assert requeue_job(redis_client, job.id)["action"] == "requeued orphan"
	assert job.get_status(refresh=True) == JobStatus.QUEUED
	start_worker([QUEUES["default"]])
	wait_for(lambda: job.get_status(refresh=True) == JobStatus.FINISHED)
	assert job.return_value() == "second run"


def test_killed_main_process_with_a_live_horse_is_not_called_dead(redis_client, start_worker, tmp_path):
	"""SIGKILL of the worker's main process only: its horse finishes the job, which is never called
	dead, and requeue refuses it, so the job runs exactly once."""
	worker = start_worker([QUEUES["default"]])
	runs = tmp_path / "runs"
	job = Queue(QUEUES["default"], connection=redis_client).enqueue(
		"tests.jobfuncs.count_run_and_sleep", str(runs), 6, job_id="a.local::horse"
	)
	wait_recorded(redis_client, worker, job)
	horse = worker.kill_main()
	try:
		silence(redis_client, worker.name, HEARTBEAT_GRACE_S + 1)
		lost = findings_for(redis_client, job)
		assert [(f.kind, f.action) for f in lost] == [(WORKER_LOST, WARN)]
		assert f"work horse (pid {horse}" in lost[0].detail and "still running" in lost[0].detail
		assert "never finish" not in lost[0].detail
		with pytest.raises(InvalidInput, match="may still be running"):
			requeue_job(redis_client, job.id)
		with pytest.raises(InvalidInput, match=f"End pid {horse}"):
			stop_job(redis_client, job.id)
		wait_for(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, timeout_s=30)
	finally:
		with contextlib.suppress(ProcessLookupError):
			os.kill(horse, signal.SIGKILL)
	assert runs.read_text().splitlines() == ["run"], "ran exactly once"
	assert not findings_for(redis_client, job)


def test_hung_worker_is_lost_not_dead(redis_client, start_worker):
	"""A stopped (SIGSTOP) worker past its grace still exists on this host: watched, never requeued."""
	worker = start_worker([QUEUES["default"]])
	job = Queue(QUEUES["default"], connection=redis_client).enqueue(
		"tests.jobfuncs.sleep_for", 30, job_id="a.local::hung"
	)
	wait_recorded(redis_client, worker, job)
	horse = worker.horse_pid()
	worker.process.send_signal(signal.SIGSTOP)
	try:
		silence(redis_client, worker.name, HEARTBEAT_GRACE_S + 1)
		lost = findings_for(redis_client, job)
		assert [(f.kind, f.action) for f in lost] == [(WORKER_LOST, WARN)]
		assert f"pid {worker.process.pid}" in lost[0].detail and "hung or stopped" in lost[0].detail
		assert f"work horse (pid {horse})" in lost[0].detail
		with pytest.raises(InvalidInput, match="may still be running"):
			requeue_job(redis_client, job.id)
		with pytest.raises(InvalidInput, match=f"End pid {horse}"):
			stop_job(redis_client, job.id)
	finally:
		worker.process.send_signal(signal.SIGCONT)


def test_grace_below_rq_heartbeat_interval_is_refused(redis_client, start_worker):
	"""A grace under RQ's 30 s beat plus margin is refused everywhere; at the floor, a busy worker
	between two beats is healthy."""
	for grace in (2, MIN_HEARTBEAT_GRACE_S - 1, float("nan"), "90"):
		with pytest.raises(InvalidInput, match=f"at least {MIN_HEARTBEAT_GRACE_S} s"):
			StallLimits(heartbeat_grace_s=grace)
	with pytest.raises(InvalidInput, match="at least"):
		requeue_job(redis_client, "a.local::any", heartbeat_grace_s=10)
	worker = start_worker([QUEUES["default"]])
	job = Queue(QUEUES["default"], connection=redis_client).enqueue(
		"tests.jobfuncs.sleep_for", 30, job_id="a.local::healthy"
	)
	wait_for(lambda: started(job))
	silence(redis_client, worker.name, 35)  # just before RQ's next beat is due
	assert not findings_for(redis_client, job, heartbeat_grace_s=MIN_HEARTBEAT_GRACE_S)


def test_queue_with_jobs_and_no_worker_is_flagged(redis_client):
	"""A queue whose oldest job has waited past the limit is reported with its workers count."""
	job = Queue(QUEUES["default"], connection=redis_client).enqueue(
		"tests.jobfuncs.add", 1, 2, job_id="a.local::waiting"
	)
	backdate(redis_client, job, "enqueued_at", timedelta(minutes=30))
	findings = detect(redis_client, QUEUES, StallLimits(queue_wait_limit_s=600))
	waiting = [f for f in findings if f.kind == "queue_waiting"]
	assert waiting and waiting[0].queue == "default" and "0 worker(s) listening" in waiting[0].detail
	assert waiting[0].action == WARN  # 30 min is less than twice the 10 min limit


def test_scheduled_jobs_that_block_frappe_scheduler_are_zombies(redis_client):
	"""A lost scheduled job (queued in its hash, gone from the list) is a zombie to requeue; a queued one past the limit warns."""
	queue = Queue(QUEUES["long"], connection=redis_client)
	lost = queue.enqueue("tests.jobfuncs.add", 1, 2, job_id="a.local::scheduled_job::app.tasks.hourly")
	redis_client.lrem(queue.key, 0, lost.id)
	waiting = queue.enqueue("tests.jobfuncs.add", 1, 2, job_id="a.local::scheduled_job::app.tasks.daily")
	backdate(redis_client, waiting, "enqueued_at", timedelta(minutes=15))
	fine = queue.enqueue("tests.jobfuncs.add", 1, 2, job_id="a.local::scheduled_job::app.tasks.all")
	ids = [lost.id, waiting.id, fine.id, "a.local::scheduled_job::app.never_enqueued"]
	zombies = {
		f.job_id: f
		for f in detect(redis_client, QUEUES, StallLimits(queue_wait_limit_s=600), scheduled_job_ids=ids)
		if f.kind == "zombie_scheduled"
	}
	assert set(zombies) == {lost.id, waiting.id}
	assert (zombies[lost.id].action, zombies[lost.id].queue, zombies[lost.id].site) == (
		REQUEUE,
		"long",
		"a.local",
	)
	assert "will never run" in zombies[lost.id].detail and "skips this job type" in zombies[lost.id].detail
	assert zombies[waiting.id].action == WARN
	assert requeue_job(redis_client, lost.id)["action"] == "requeued lost job"
	assert lost.id in [i.decode() for i in redis_client.lrange(queue.key, 0, -1)]
	again = detect(redis_client, QUEUES, StallLimits(queue_wait_limit_s=600), scheduled_job_ids=ids)
	assert lost.id not in {f.job_id for f in again}


def test_scheduled_job_orphaned_in_started_registry_is_a_zombie(redis_client, start_worker):
	"""A scheduled job whose worker was SIGKILLed is named a zombie, not just an orphan."""
	worker = start_worker([QUEUES["default"]])
	job = Queue(QUEUES["default"], connection=redis_client).enqueue(
		"tests.jobfuncs.sleep_for", 60, job_id="a.local::scheduled_job::app.tasks.cron"
	)
	wait_recorded(redis_client, worker, job)
	worker.kill()
	silence(redis_client, worker.name, HEARTBEAT_GRACE_S + 1)
	limits = StallLimits(stall_after_s=3600)
	findings = [
		f for f in detect(redis_client, QUEUES, limits, scheduled_job_ids=[job.id]) if f.job_id == job.id
	]
	assert [(f.kind, f.action) for f in findings] == [("zombie_scheduled", REQUEUE)]


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


def test_abandoned_jobs_in_older_rq_wording_are_reported_and_other_failures_are_not(redis_client):
	"""rq before 1.14 wrote only "Moved to FailedJobRegistry"; a job that raised is not abandoned."""
	queue = Queue(QUEUES["default"], connection=redis_client)
	failed = FailedJobRegistry(queue=queue)
	for job_id, exc_string in (
		("a.local::old-abandoned", "Moved to FailedJobRegistry at 2023-01-01 10:00:00"),
		("a.local::raised", "Traceback (most recent call last): ValueError: bad row"),
	):
		job = queue.enqueue("tests.jobfuncs.add", 1, 2, job_id=job_id)
		queue.remove(job)
		failed.add(job, ttl=3600, exc_string=exc_string, _save_exc_to_job=True)
	abandoned = [f.job_id for f in detect(redis_client, QUEUES, StallLimits()) if f.kind == "abandoned"]
	assert abandoned == ["a.local::old-abandoned"]


def test_stop_and_requeue_refuse_what_they_cannot_do(redis_client):
	"""Unknown ids and finished jobs are refused with a reason; a queued job is canceled by stop."""
	with pytest.raises(InvalidInput, match="No job with id"):
		stop_job(redis_client, "a.local::nope")
	job = Queue(QUEUES["default"], connection=redis_client).enqueue("tests.jobfuncs.add", 1, 2)
	with pytest.raises(InvalidInput, match="only failed, orphaned or lost"):
		requeue_job(redis_client, job.id)
	assert stop_job(redis_client, job.id)["action"] == "canceled"
	assert job.get_status(refresh=True) == JobStatus.CANCELED
