"""Stalled jobs on benches whose workers run on several hosts: real rq workers in their own UTS and PID
namespaces (as frappe_docker runs each worker in its own container), judged after rq forgot them."""

import os
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
from rq import Queue
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry

from perf_engine.core.errors import InvalidInput
from perf_engine.core.jobs.actions import requeue_job, stop_job
from perf_engine.core.jobs.hosts import Host, is_running, start_ticks, this_host
from perf_engine.core.jobs.keys import WORKER, WORKER_HOSTS
from perf_engine.core.jobs.stalls import ABANDONED, ORPHANED, REQUEUE, WARN, WORKER_LOST, StallLimits, detect
from perf_engine.core.jobs.worker_hosts import WorkerHost, store
from tests.test_jobs_stalls import QUEUES, findings_for, silence, wait_for, wait_recorded

OTHER_HOST = "other-host"
OUT_OF_SIGHT = "(cannot be inspected from here)"
FINISH_TIMEOUT_S = 40


def enqueue(client, function: str, *args, job_id: str) -> Job:
	return Queue(QUEUES["default"], connection=client).enqueue(
		f"tests.jobfuncs.{function}", *args, job_id=job_id
	)


def forget_worker(client, worker_name: str) -> None:
	"""What rq's TTL does to a dead worker's hash within about 90 s: it is gone."""
	client.delete(WORKER.format(worker_name))


def runs_of(log) -> list[str]:
	return log.read_text().splitlines()


def test_job_on_another_host_whose_horse_died_is_never_requeued_without_force(
	redis_client, start_worker, tmp_path
):
	"""The issue's case: worker and horse on other-host SIGKILLed, rq's record expired. It was called an orphan to
	requeue; now the job may still be running on other-host, requeue refuses, and only force requeues it."""
	worker = start_worker([QUEUES["default"]], hostname=OTHER_HOST)
	log = tmp_path / "runs"
	job = enqueue(redis_client, "count_run_and_sleep_first_time", str(log), 60, job_id="a.local::remote-dead")
	wait_recorded(redis_client, worker, job)
	worker.kill()
	forget_worker(redis_client, worker.name)
	lost = findings_for(redis_client, job)
	assert [(f.kind, f.action, f.host) for f in lost] == [(WORKER_LOST, WARN, OTHER_HOST)]
	assert f"may still be running on host {OTHER_HOST} {OUT_OF_SIGHT}" in lost[0].detail
	assert "never finish" not in lost[0].detail
	with pytest.raises(InvalidInput, match=f"may still be running.*host {OTHER_HOST}"):
		requeue_job(redis_client, job.id)
	with pytest.raises(InvalidInput, match=f"no live worker to stop it.*{OTHER_HOST}"):
		stop_job(redis_client, job.id)
	assert job.get_status(refresh=True) == JobStatus.STARTED, "refused means untouched"
	assert requeue_job(redis_client, job.id, force=True)["action"] == "requeued orphan"
	start_worker([QUEUES["default"]])
	wait_for(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, timeout_s=FINISH_TIMEOUT_S)
	assert job.return_value() == 2 and runs_of(log) == ["run", "run"], "the killed run and the forced one"


def test_job_on_another_host_whose_horse_runs_is_watched_and_runs_once(redis_client, start_worker, tmp_path):
	"""On other-host the worker's main process dies and rq forgets it while its horse runs on: the same verdict,
	requeue refused, and the horse finishes the job, which ran exactly once."""
	worker = start_worker([QUEUES["default"]], hostname=OTHER_HOST)
	log = tmp_path / "runs"
	job = enqueue(redis_client, "count_run_and_sleep", str(log), 6, job_id="a.local::remote-alive")
	wait_recorded(redis_client, worker, job)
	worker.kill_main()
	forget_worker(redis_client, worker.name)
	lost = findings_for(redis_client, job)
	assert [(f.kind, f.action, f.host) for f in lost] == [(WORKER_LOST, WARN, OTHER_HOST)]
	assert f"may still be running on host {OTHER_HOST} {OUT_OF_SIGHT}" in lost[0].detail
	with pytest.raises(InvalidInput, match="may still be running"):
		requeue_job(redis_client, job.id)
	wait_for(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, timeout_s=FINISH_TIMEOUT_S)
	assert runs_of(log) == ["run"], "ran exactly once"
	assert not findings_for(redis_client, job)


def test_same_hostname_in_another_pid_namespace_is_not_this_host(redis_client, start_worker, tmp_path):
	"""Two containers can share a hostname (host networking): a worker named like this host but in its own PID
	namespace, dead and forgotten by rq, cannot be inspected from here, and its pids are never read here."""
	worker = start_worker([QUEUES["default"]], own_pid_namespace=True)
	job = enqueue(redis_client, "sleep_first_time", str(tmp_path / "marker"), 60, job_id="a.local::twin")
	wait_recorded(redis_client, worker, job)
	worker.kill()
	forget_worker(redis_client, worker.name)
	here = socket.gethostname()
	lost = findings_for(redis_client, job)
	assert [(f.kind, f.action, f.host) for f in lost] == [(WORKER_LOST, WARN, here)]
	assert f"may still be running on host {here} {OUT_OF_SIGHT}" in lost[0].detail
	assert "this host's name but another kernel boot or PID namespace" in lost[0].detail
	with pytest.raises(InvalidInput, match="may still be running"):
		requeue_job(redis_client, job.id)


def test_dead_worker_on_this_host_forgotten_by_rq_is_an_orphan(redis_client, start_worker, tmp_path):
	"""A worker here SIGKILLed with its horse, rq's record expired: its horse's recorded pid has verifiably ended,
	so it is an orphan, requeued without force, and run again once."""
	worker = start_worker([QUEUES["default"]])
	log = tmp_path / "runs"
	job = enqueue(redis_client, "count_run_and_sleep_first_time", str(log), 60, job_id="a.local::local-dead")
	wait_recorded(redis_client, worker, job)
	horse = worker.horse_pid()
	worker.kill()
	forget_worker(redis_client, worker.name)
	orphans = findings_for(redis_client, job)
	assert [(f.kind, f.action, f.host) for f in orphans] == [(ORPHANED, REQUEUE, socket.gethostname())]
	assert f"its work horse (pid {horse}) has ended" in orphans[0].detail
	assert "will never finish" in orphans[0].detail
	assert requeue_job(redis_client, job.id)["action"] == "requeued orphan"
	start_worker([QUEUES["default"]])
	wait_for(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, timeout_s=FINISH_TIMEOUT_S)
	assert runs_of(log) == ["run", "run"]


def test_live_horse_on_this_host_forgotten_by_rq_is_watched(redis_client, start_worker, tmp_path):
	"""The worker's main process here is killed and rq forgets it while the horse runs: found by its recorded
	pid, watched, never requeued, and the job runs exactly once."""
	worker = start_worker([QUEUES["default"]])
	log = tmp_path / "runs"
	job = enqueue(redis_client, "count_run_and_sleep", str(log), 6, job_id="a.local::local-alive")
	wait_recorded(redis_client, worker, job)
	horse = worker.kill_main()
	forget_worker(redis_client, worker.name)
	lost = findings_for(redis_client, job)
	assert [(f.kind, f.action) for f in lost] == [(WORKER_LOST, WARN)]
	assert f"work horse (pid {horse} on {socket.gethostname()}) is still running" in lost[0].detail
	with pytest.raises(InvalidInput, match="may still be running"):
		requeue_job(redis_client, job.id)
	with pytest.raises(InvalidInput, match=f"End pid {horse}"):
		stop_job(redis_client, job.id)
	wait_for(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, timeout_s=FINISH_TIMEOUT_S)
	assert runs_of(log) == ["run"]


def test_a_worker_nobody_remembers_is_on_an_unknown_host(redis_client, start_worker, tmp_path):
	"""No record of the worker's host: while rq's hash lasts its hostname is only a name; once that expires the
	job may still be running on an unknown host. Either way requeue needs force."""
	worker = start_worker([QUEUES["default"]])
	job = enqueue(redis_client, "sleep_first_time", str(tmp_path / "marker"), 60, job_id="a.local::unknown")
	wait_recorded(redis_client, worker, job)
	worker.kill()
	redis_client.hdel(WORKER_HOSTS, worker.name)
	silence(redis_client, worker.name, 3600)
	named = findings_for(redis_client, job)
	assert [(f.kind, f.action, f.host) for f in named] == [(WORKER_LOST, WARN, socket.gethostname())]
	assert "no record of that worker's kernel boot and PID namespace" in named[0].detail
	forget_worker(redis_client, worker.name)
	unknown = findings_for(redis_client, job)
	assert [(f.kind, f.action, f.host) for f in unknown] == [(WORKER_LOST, WARN, None)]
	assert f"may still be running on an unknown host {OUT_OF_SIGHT}" in unknown[0].detail
	with pytest.raises(InvalidInput, match="unknown host"):
		requeue_job(redis_client, job.id)
	assert requeue_job(redis_client, job.id, force=True)["action"] == "requeued orphan"
	assert not redis_client.zscore(StartedJobRegistry(QUEUES["default"], connection=redis_client).key, job.id)


def test_this_host_is_hostname_kernel_boot_and_pid_namespace():
	"""This process's host is complete here and the same as itself; a different part in any of the three, or a
	part missing, is another host."""
	here = this_host()
	assert here.complete and here.same_as(this_host())
	for other in (
		Host(OTHER_HOST, here.boot_id, here.pid_namespace),
		Host(here.hostname, "another-boot", here.pid_namespace),
		Host(here.hostname, here.boot_id, "pid:[4026532999]"),
		Host(here.hostname, here.boot_id, None),
	):
		assert not here.same_as(other) and not other.same_as(here)
	assert not Host(None, None, None).same_as(Host(None, None, None))


def test_a_process_is_known_by_its_pid_and_start_time(tmp_path):
	"""A live process with its recorded start is running; the same pid with another start (a reused pid),
	a zombie and a pid that has gone are not."""
	child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
	try:
		ticks = start_ticks(child.pid)
		assert ticks is not None and is_running(child.pid, ticks)
		assert not is_running(child.pid, ticks + 1), "another process given the same pid"
	finally:
		child.kill()
	deadline = time.monotonic() + 10
	while time.monotonic() < deadline and not open(f"/proc/{child.pid}/stat").read().split(") ")[
		1
	].startswith("Z"):
		time.sleep(0.05)
	assert not is_running(child.pid, ticks), "a zombie runs nothing"
	child.wait()
	assert not is_running(child.pid, ticks)


def abandon(client, job: Job, worker_name: str, started_ago_s: float) -> None:
	"""What RQ's cleanup leaves of a job whose worker died: failed as abandoned, with its worker and start."""
	started_at = datetime.now(timezone.utc) - timedelta(seconds=started_ago_s)
	client.hset(
		job.key,
		mapping={"worker_name": worker_name, "started_at": started_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")},
	)
	registry = StartedJobRegistry(QUEUES["default"], connection=client)
	client.zadd(registry.key, {job.id: time.time() - 10})
	registry.cleanup()


def remembered(worker_name: str, job: Job, host: Host, pid: int, ticks: int | None) -> WorkerHost:
	return WorkerHost(worker_name, host, os.geteuid(), pid, ticks, pid, ticks, job.id, time.time() + 600)


def test_an_abandoned_job_from_another_host_past_its_timeout_still_needs_force(redis_client):
	"""RQ failed it as abandoned and its timeout passed long ago, but its horse ran on another host: the timeout is
	said, not taken for proof; requeue needs force. The same job recorded here with its horse ended is requeued."""
	queue = Queue(QUEUES["default"], connection=redis_client)
	job = queue.enqueue("tests.jobfuncs.add", 1, 2, job_id="a.local::abandoned-remote", job_timeout=60)
	abandon(redis_client, job, "w-remote", started_ago_s=3600)
	store(redis_client, remembered("w-remote", job, Host(OTHER_HOST, "boot", "pid:[1]"), 7, 1), time.time())
	[finding] = [f for f in detect(redis_client, QUEUES, StallLimits()) if f.job_id == job.id]
	assert (finding.kind, finding.action, finding.host) == (ABANDONED, WARN, OTHER_HOST)
	assert f"may still be running on host {OTHER_HOST} {OUT_OF_SIGHT}" in finding.detail
	assert "timeout of 60 s passed long ago" in finding.detail
	with pytest.raises(InvalidInput, match="may still be running"):
		requeue_job(redis_client, job.id)
	ended_here = remembered("w-remote", job, this_host(), os.getpid(), start_ticks(os.getpid()) - 1)
	store(redis_client, ended_here, time.time())
	[finding] = [f for f in detect(redis_client, QUEUES, StallLimits()) if f.job_id == job.id]
	assert (finding.action, finding.host) == (REQUEUE, socket.gethostname()), "its pid is now another process"
	assert requeue_job(redis_client, job.id)["action"] == "requeued"
