"""Stop and requeue jobs through RQ's own commands, refusing what would do harm."""

from datetime import datetime, timezone

import redis
from rq.command import send_stop_job_command
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.queue import Queue
from rq.registry import FailedJobRegistry, StartedJobRegistry

from perf_engine.core.errors import InvalidInput
from perf_engine.core.jobs.horses import HERE, Whereabouts, whereabouts
from perf_engine.core.jobs.keys import QUEUE
from perf_engine.core.jobs.stalls import abandoned_whereabouts, is_abandoned
from perf_engine.core.jobs.worker_hosts import WorkerHost, recall
from perf_engine.core.jobs.workers import HEARTBEAT_GRACE_S, WorkerState, check_heartbeat_grace, worker_states


def fetch(connection: redis.Redis, job_id: str) -> Job:
	try:
		return Job.fetch(job_id, connection=connection)
	except NoSuchJobError:
		raise InvalidInput(f"No job with id {job_id!r}: it may have finished and expired")


def job_worker(connection: redis.Redis, job: Job, heartbeat_grace_s: float) -> WorkerState | None:
	"""The state of the worker a job names, None when it names none or the worker left no trace."""
	name = job.worker_name or ""
	return worker_states(connection, [name], datetime.now(timezone.utc), heartbeat_grace_s).get(name)


def remembered_host(connection: redis.Redis, job: Job) -> WorkerHost | None:
	"""Where the job's worker ran its last job, as its horse recorded it."""
	return recall(connection, [job.worker_name or ""]).get(job.worker_name)


def job_whereabouts(connection: redis.Redis, job: Job, worker: WorkerState | None) -> Whereabouts:
	"""Where a job whose worker is not alive may still be running."""
	started = job.started_at.replace(tzinfo=timezone.utc) if job.started_at else None
	return whereabouts(job.id, job.worker_name, worker, remembered_host(connection, job), started)


def stop_job(connection: redis.Redis, job_id: str, heartbeat_grace_s: float = HEARTBEAT_GRACE_S) -> dict:
	"""Stop a running job via its worker, or cancel one that has not started."""
	check_heartbeat_grace(heartbeat_grace_s)
	job = fetch(connection, job_id)
	status = job.get_status()
	if status == JobStatus.STARTED:
		worker = job_worker(connection, job, heartbeat_grace_s)
		if not (worker and worker.alive):
			where = job_whereabouts(connection, job, worker)
			if where.place == HERE:
				raise InvalidInput(
					f"Job {job_id} has no live worker to stop it: {where.detail}. End pid {where.pid} to stop it"
				)
			hint = where.detail if where.may_be_running else "requeue it instead"
			raise InvalidInput(f"Job {job_id} has no live worker to stop it: {hint}")
		send_stop_job_command(connection, job_id)
		return {"job_id": job_id, "action": "stop sent", "worker": job.worker_name}
	if status in (JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED):
		job.cancel()
		return {"job_id": job_id, "action": "canceled"}
	raise InvalidInput(f"Job {job_id} is {status}: only queued or running jobs can be stopped")


def requeue_job(
	connection: redis.Redis, job_id: str, heartbeat_grace_s: float = HEARTBEAT_GRACE_S, force: bool = False
) -> dict:
	"""Put a failed job, a started job whose worker died, or a queued job lost from its list, back on its queue.

	A job that may still be running (its horse alive here, its worker hung, on another host or
	on one nobody remembers) is refused unless `force`: requeueing it would run it twice."""
	check_heartbeat_grace(heartbeat_grace_s)
	job = fetch(connection, job_id)
	status = job.get_status()
	if status == JobStatus.FAILED:
		if is_abandoned(job):
			where = abandoned_whereabouts(job, datetime.now(timezone.utc), remembered_host(connection, job))
			refuse_if_running(job, where, force)
		FailedJobRegistry(job.origin, connection=connection).requeue(job)
		return {"job_id": job_id, "action": "requeued", "queue": job.origin}
	if status == JobStatus.STARTED:
		worker = job_worker(connection, job, heartbeat_grace_s)
		if worker and worker.alive:
			raise InvalidInput(
				f"Job {job_id} is still running on {job.worker_name}: stop it before requeueing"
			)
		refuse_if_running(job, job_whereabouts(connection, job, worker), force)
		StartedJobRegistry(job.origin, connection=connection).remove(job)
		Queue(job.origin, connection=connection).enqueue_job(job)
		return {"job_id": job_id, "action": "requeued orphan", "queue": job.origin}
	if status == JobStatus.QUEUED and not in_queue(connection, job):
		Queue(job.origin, connection=connection).enqueue_job(job)
		return {"job_id": job_id, "action": "requeued lost job", "queue": job.origin}
	raise InvalidInput(f"Job {job_id} is {status}: only failed, orphaned or lost jobs can be requeued")


def refuse_if_running(job: Job, where: Whereabouts, force: bool) -> None:
	"""No double run: a job that may still be running is requeued only when forced."""
	if where.may_be_running and not force:
		raise InvalidInput(
			f"Job {job.id} may still be running: {where.detail}. Requeue with force only once it is not, "
			"or it runs twice"
		)


def in_queue(connection: redis.Redis, job: Job) -> bool:
	"""Whether a queued job is really in its queue's list (a lost one blocks Frappe's scheduler)."""
	return connection.lpos(QUEUE.format(job.origin), job.id) is not None
