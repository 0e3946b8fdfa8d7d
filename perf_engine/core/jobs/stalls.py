"""Stalled-job detection: long runners, orphans, waiting queues, zombie scheduled jobs.

Measures:
- started jobs running longer than the stall limit or past their own timeout;
- started jobs whose worker is dead (worker key gone, or a busy worker whose heartbeat
  lapsed) or whose started-registry entry has expired: orphans, found before RQ's own
  ten-minute maintenance moves them. Only a job whose worker ran on this host (as its horse
  recorded, `worker_hosts`) and whose horse has verifiably ended is an orphan. A job that
  may still be running (its work horse alive on this host, its worker hung, its worker on
  another host or on one nobody remembers, see `horses`) is a lost worker to watch, never
  an orphan to requeue;
- queues whose oldest queued job has waited longer than the wait limit;
- Frappe scheduled jobs (`<site>::scheduled_job::<method>`) whose job hash still says
  queued or started, which makes Frappe's scheduler skip that job type on every tick
  ("Skipped queueing ... found in queue"): lost ones (in neither their queue nor the
  started registry, so nothing will ever run or clean them), queued ones waiting past the
  wait limit, and started ones that are orphaned or past the stall limit;
- jobs RQ has already moved to the failed registry as abandoned (unless their horse still
  runs them here).

Reads only: nothing here calls RQ's registry cleanup or count.
"""

import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone

import redis
from rq.job import Job

from perf_engine.core.errors import InvalidInput
from perf_engine.core.jobs.horses import ELSEWHERE, UNKNOWN, Whereabouts, whereabouts
from perf_engine.core.jobs.job_details import method_of
from perf_engine.core.jobs.keys import JOB, QUEUE, REGISTRIES, parse_time, site_of, text
from perf_engine.core.jobs.queue_status import queue_status
from perf_engine.core.jobs.worker_hosts import WorkerHost, recall
from perf_engine.core.jobs.workers import HEARTBEAT_GRACE_S, check_heartbeat_grace, worker_states

STALL_AFTER_S = 1800
QUEUE_WAIT_LIMIT_S = 600
ABANDONED_LOOKBACK = 200
SCHEDULED_MARKER = "::scheduled_job::"
# rq >= 1.14 names AbandonedJobError in exc_info; older releases wrote only "Moved to FailedJobRegistry".
ABANDONED_MARKERS = ("AbandonedJobError", "Moved to FailedJobRegistry")
BLOCKING_STATUSES = ("queued", "started")
SKIPPED_NOTE = "Frappe's scheduler skips this job type while it sits here"
WARN, STOP, REQUEUE = "warn", "stop", "requeue"
LONG_RUNNING, ORPHANED, QUEUE_WAITING = "long_running", "orphaned", "queue_waiting"
ZOMBIE_SCHEDULED, ABANDONED, WORKER_LOST = "zombie_scheduled", "abandoned", "worker_lost"
NEVER_FINISHES = "the job will never finish"
# RQ runs a job without a timeout for 180 s (Queue.DEFAULT_TIMEOUT); -1 means no limit.
RQ_DEFAULT_TIMEOUT_S = 180
# The horse's own alarm ends a job at its timeout; past this slack one still running is stuck past its alarm.
TIMEOUT_SLACK_S = 60


@dataclass(frozen=True)
class StallLimits:
	"""The limits a stall is judged by, refused when they would raise false alarms."""

	stall_after_s: float = STALL_AFTER_S
	queue_wait_limit_s: float = QUEUE_WAIT_LIMIT_S
	heartbeat_grace_s: float = HEARTBEAT_GRACE_S

	def __post_init__(self) -> None:
		for name in ("stall_after_s", "queue_wait_limit_s"):
			value = getattr(self, name)
			if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
				raise InvalidInput(f"{name} must be a number of seconds above 0, got {value!r}")
		check_heartbeat_grace(self.heartbeat_grace_s)


@dataclass(frozen=True)
class Finding:
	"""One stall, with what to do about it."""

	kind: str
	queue: str
	job_id: str | None
	method: str | None
	site: str | None
	worker: str | None
	age_s: float
	action: str
	detail: str
	host: str | None = None

	def as_dict(self) -> dict:
		return asdict(self)


def detect(
	connection: redis.Redis,
	queues: dict[str, str],
	limits: StallLimits,
	now: datetime | None = None,
	scheduled_job_ids: Sequence[str] = (),
) -> list[Finding]:
	"""Every stall across the given queues (name people use -> RQ queue name).

	`scheduled_job_ids` are Frappe's `<site>::scheduled_job::<method>` ids to check for zombies;
	without them only zombies already in the started registry are named as such."""
	now = now or datetime.now(timezone.utc)
	findings = []
	for name, rq_name in queues.items():
		findings += started_findings(connection, name, rq_name, limits, now)
		findings += abandoned_findings(connection, name, rq_name, now)
	findings += scheduled_zombie_findings(connection, queues, scheduled_job_ids, limits, now)
	for row in queue_status(connection, queues, now):
		age = row["oldest_queued_age_s"]
		if age and age > limits.queue_wait_limit_s:
			findings.append(waiting_finding(connection, row, age, limits))
	return findings


def action_for(age_s: float, limit_s: float, over: str) -> str:
	"""Warn first; act once a job is more than twice past its limit."""
	return over if age_s > 2 * limit_s else WARN


def started_findings(
	connection: redis.Redis, name: str, rq_name: str, limits: StallLimits, now: datetime
) -> list[Finding]:
	"""Long-running and orphaned jobs among those the started registry holds."""
	entries = connection.zrange(REGISTRIES["started"].format(rq_name), 0, -1, withscores=True)
	if not entries:
		return []
	expiry = {text(job_id): score for job_id, score in entries}
	jobs = [j for j in Job.fetch_many(list(expiry), connection=connection) if j]
	names = [j.worker_name for j in jobs if j.worker_name]
	workers = worker_states(connection, names, now, limits.heartbeat_grace_s)
	remembered = recall(connection, names, now.timestamp())
	findings = []
	for job in jobs:
		started = job.started_at.replace(tzinfo=timezone.utc) if job.started_at else now
		age = (now - started).total_seconds()
		worker = workers.get(job.worker_name)
		zombie = SCHEDULED_MARKER in job.id
		orphan_kind = ZOMBIE_SCHEDULED if zombie else ORPHANED
		host = worker.hostname if worker else None
		if worker is None or not worker.alive:
			where = whereabouts(
				job.id,
				job.worker_name,
				worker,
				remembered.get(job.worker_name),
				started if job.started_at else None,
			)
			host = where.host
			if where.may_be_running:
				kind, action, detail = WORKER_LOST, WARN, where.detail
			else:
				kind, action, detail = orphan_kind, REQUEUE, f"{where.detail}; {NEVER_FINISHES}"
		elif expiry[job.id] < now.timestamp() and worker.current_job != job.id:
			# A live worker still on this job is running it, whatever its registry entry says.
			kind, action = orphan_kind, REQUEUE
			detail = f"worker {job.worker_name} stopped renewing its started entry; {NEVER_FINISHES}"
		elif age > limits.stall_after_s or (job.timeout and job.timeout > 0 and age > job.timeout):
			limit = (
				min(limits.stall_after_s, job.timeout)
				if job.timeout and job.timeout > 0
				else limits.stall_after_s
			)
			kind, action = (ZOMBIE_SCHEDULED if zombie else LONG_RUNNING), action_for(age, limit, STOP)
			detail = f"running {age:.0f} s, limit {limit:.0f} s"
		else:
			continue
		if zombie:
			detail += f"; {SKIPPED_NOTE}"
		findings.append(finding(kind, name, job, age, action, detail, host))
	return findings


def abandoned_findings(connection: redis.Redis, name: str, rq_name: str, now: datetime) -> list[Finding]:
	"""Jobs RQ's maintenance moved to failed as abandoned, among the newest failures."""
	ids = [
		text(i) for i in connection.zrevrange(REGISTRIES["failed"].format(rq_name), 0, ABANDONED_LOOKBACK - 1)
	]
	abandoned = [
		j for j in (Job.fetch_many(ids, connection=connection) if ids else []) if j and is_abandoned(j)
	]
	remembered = recall(connection, [j.worker_name for j in abandoned if j.worker_name], now.timestamp())
	findings = []
	for job in abandoned:
		started = job.started_at.replace(tzinfo=timezone.utc) if job.started_at else now
		age = (now - started).total_seconds()
		action, detail = REQUEUE, "RQ moved it to failed after its worker died"
		where = abandoned_whereabouts(job, now, remembered.get(job.worker_name))
		if where.may_be_running:
			action, detail = WARN, f"{detail}, but {where.detail}"
		findings.append(finding(ABANDONED, name, job, age, action, detail, where.host))
	return findings


def is_abandoned(job: Job) -> bool:
	"""RQ failed the job because its worker vanished, not because the job raised."""
	return any(marker in exc_info(job) for marker in ABANDONED_MARKERS)


def abandoned_whereabouts(job: Job, now: datetime, remembered: WorkerHost | None) -> Whereabouts:
	"""Where an abandoned job may still run. Past its timeout the horse's own alarm has most likely ended it, but a
	horse stuck in C code never sees its alarm, and only one on this host can be seen to have ended: elsewhere
	the timeout is said, never taken for proof."""
	started = job.started_at.replace(tzinfo=timezone.utc) if job.started_at else None
	where = whereabouts(job.id, job.worker_name, None, remembered, started)
	timeout = job.timeout or RQ_DEFAULT_TIMEOUT_S
	if (
		where.place in (ELSEWHERE, UNKNOWN)
		and started
		and timeout > 0
		and (now - started).total_seconds() > timeout + TIMEOUT_SLACK_S
	):
		passed = (
			f"its timeout of {timeout} s passed long ago, so its horse's own alarm has most likely ended it"
		)
		return replace(where, detail=f"{where.detail}; {passed}")
	return where


def exc_info(job: Job) -> str:
	"""RQ's cleanup writes the abandonment into exc_info, not into a Result; read it quietly."""
	with warnings.catch_warnings():
		warnings.simplefilter("ignore", DeprecationWarning)
		return job.exc_info or ""


def waiting_finding(connection: redis.Redis, row: dict, age: float, limits: StallLimits) -> Finding:
	"""The queue's oldest job has waited too long: the workers are behind or gone."""
	job = Job.fetch_many([row["oldest_job_id"]], connection=connection)[0] if row["oldest_job_id"] else None
	detail = f"oldest job waiting {age:.0f} s, limit {limits.queue_wait_limit_s:.0f} s; {row['workers']['total']} worker(s) listening"
	return finding(QUEUE_WAITING, row["queue"], job, age, WARN, detail)


def scheduled_zombie_findings(
	connection: redis.Redis,
	queues: dict[str, str],
	job_ids: Sequence[str],
	limits: StallLimits,
	now: datetime,
) -> list[Finding]:
	"""Scheduled jobs whose hash blocks Frappe's scheduler: lost, or queued past the wait limit.

	Two pipelined round trips for any number of job types: their status fields, then where
	each blocking one sits. Started ones still in the started registry are judged there."""
	names = {rq_name: name for name, rq_name in queues.items()}
	with connection.pipeline(transaction=False) as pipe:
		for job_id in job_ids:
			pipe.hmget(JOB.format(job_id), "status", "origin", "enqueued_at")
		fields = [(job_id, *map(text, reply)) for job_id, reply in zip(job_ids, pipe.execute(), strict=True)]
	blocking = [f for f in fields if f[1] in BLOCKING_STATUSES and f[2] in names]
	with connection.pipeline(transaction=False) as pipe:
		for job_id, status, origin, _ in blocking:
			if status == "started":
				pipe.zscore(REGISTRIES["started"].format(origin), job_id)
			else:
				pipe.lpos(QUEUE.format(origin), job_id)
		places = pipe.execute()
	zombies = {}
	for (job_id, status, origin, enqueued), place in zip(blocking, places, strict=True):
		enqueued_at = parse_time(enqueued)
		age = (now - enqueued_at).total_seconds() if enqueued_at else 0.0
		if place is None:
			action, detail = (
				REQUEUE,
				f"{status} but in neither its queue nor the started registry: it will never run",
			)
		elif status == "queued" and age > limits.queue_wait_limit_s:
			action = action_for(age, limits.queue_wait_limit_s, STOP)
			detail = f"queued {age:.0f} s, limit {limits.queue_wait_limit_s:.0f} s"
		else:
			continue
		zombies[job_id] = (names[origin], age, action, f"{detail}; {SKIPPED_NOTE}")
	findings = []
	for job in Job.fetch_many(list(zombies), connection=connection) if zombies else []:
		if job:
			queue, age, action, detail = zombies[job.id]
			findings.append(finding(ZOMBIE_SCHEDULED, queue, job, age, action, detail))
	return findings


def finding(
	kind: str, queue: str, job: Job | None, age: float, action: str, detail: str, host: str | None = None
) -> Finding:
	return Finding(
		kind=kind,
		queue=queue,
		job_id=job.id if job else None,
		method=method_of(job) if job else None,
		site=site_of(job.id) if job else None,
		worker=job.worker_name if job else None,
		age_s=round(age, 1),
		action=action,
		detail=detail,
		host=host,
	)
