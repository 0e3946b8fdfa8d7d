"""Stop and requeue jobs through RQ's own commands, refusing what would do harm."""

from datetime import datetime, timezone

import redis
from rq.command import send_stop_job_command
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.queue import Queue
from rq.registry import FailedJobRegistry, StartedJobRegistry

from perf_engine.core.errors import InvalidInput
from perf_engine.core.jobs.keys import QUEUE
from perf_engine.core.jobs.workers import HEARTBEAT_GRACE_S, worker_states


def fetch(connection: redis.Redis, job_id: str) -> Job:
	try:
		return Job.fetch(job_id, connection=connection)
	except NoSuchJobError:
		raise InvalidInput(f"No job with id {job_id!r}: it may have finished and expired")


def has_live_worker(connection: redis.Redis, job: Job, heartbeat_grace_s: float) -> bool:
	name = job.worker_name or ""
	state = worker_states(connection, [name], datetime.now(timezone.utc), heartbeat_grace_s).get(name)
	return bool(state and state.alive)


def stop_job(connection: redis.Redis, job_id: str, heartbeat_grace_s: float = HEARTBEAT_GRACE_S) -> dict:
	"""Stop a running job via its worker, or cancel one that has not started."""
	job = fetch(connection, job_id)
	status = job.get_status()
	if status == JobStatus.STARTED:
		if not has_live_worker(connection, job, heartbeat_grace_s):
			raise InvalidInput(f"Job {job_id} has no live worker to stop it: requeue it instead")
		send_stop_job_command(connection, job_id)
		return {"job_id": job_id, "action": "stop sent", "worker": job.worker_name}
	if status in (JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED):
		job.cancel()
		return {"job_id": job_id, "action": "canceled"}
	raise InvalidInput(f"Job {job_id} is {status}: only queued or running jobs can be stopped")


def requeue_job(connection: redis.Redis, job_id: str, heartbeat_grace_s: float = HEARTBEAT_GRACE_S) -> dict:
	"""Put a failed job, a started job whose worker died, or a queued job lost from its list, back on its queue."""
	job = fetch(connection, job_id)
	status = job.get_status()
	if status == JobStatus.FAILED:
		FailedJobRegistry(job.origin, connection=connection).requeue(job)
		return {"job_id": job_id, "action": "requeued", "queue": job.origin}
	if status == JobStatus.STARTED:
		if has_live_worker(connection, job, heartbeat_grace_s):
			raise InvalidInput(
				f"Job {job_id} is still running on {job.worker_name}: stop it before requeueing"
			)
		StartedJobRegistry(job.origin, connection=connection).remove(job)
		Queue(job.origin, connection=connection).enqueue_job(job)
		return {"job_id": job_id, "action": "requeued orphan", "queue": job.origin}
	if status == JobStatus.QUEUED and not in_queue(connection, job):
		Queue(job.origin, connection=connection).enqueue_job(job)
		return {"job_id": job_id, "action": "requeued lost job", "queue": job.origin}
	raise InvalidInput(f"Job {job_id} is {status}: only failed, orphaned or lost jobs can be requeued")


def in_queue(connection: redis.Redis, job: Job) -> bool:
	"""Whether a queued job is really in its queue's list (a lost one blocks Frappe's scheduler)."""
	return connection.lpos(QUEUE.format(job.origin), job.id) is not None
