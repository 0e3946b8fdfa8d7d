"""perf_engine's own memory of where each RQ worker ran its last job, kept for longer than rq keeps the worker.

rq's worker hash (hostname, pid) expires 60 s after the last heartbeat of a busy worker, so a
SIGKILLed worker's host is forgotten within about 90 s, before the next stall check; and it
holds no horse pid, nor anything that tells two containers with one hostname apart. So each
job's work horse, as the job starts (Frappe's `before_job` hook), records its worker's host
(`hosts.Host`), the user it runs as, the worker's pid and its own with their start times, and
the job id. The stall check and requeue judge a silent worker by this record.

Bounds (docs/api.md says them too): one record per worker, about 500 bytes, replaced by its next
job's. A record is forgotten REMEMBER_PAST_TIMEOUT_S after its job's timeout would have ended the
job: rq's maintenance moves a dead worker's job out of the started registry within ten minutes
once any worker listens on its queue, and a day covers a queue left without workers overnight.
No record lives longer than MAX_REMEMBER_S (jobs without a timeout get that), there are at most
MAX_REMEMBERED_WORKERS of them (the soonest to be forgotten go first), and both keys expire
MAX_REMEMBER_S after the last write. A forgotten host is an unknown host: its job is watched,
never requeued without force.

Cost: one Redis round trip per job (a short Lua script that also prunes), two HMGETs per queue per check.
"""

import json
import math
import os
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import redis
from rq.job import get_current_job
from rq.queue import Queue

from perf_engine.core.jobs.hosts import Host, start_ticks, this_host
from perf_engine.core.jobs.keys import WORKER_HOSTS, WORKER_HOSTS_FORGET_AT, text

HOUR_S = 3600
REMEMBER_PAST_TIMEOUT_S = 24 * HOUR_S
MAX_REMEMBER_S = 7 * 24 * HOUR_S
MAX_REMEMBERED_WORKERS = 10_000
# Expired records one write removes at most: each write adds one, so the memory still shrinks.
PRUNE_BATCH = 100
# A record a horse wrote is a few hundred bytes; anything longer is not one.
MAX_RECORD_BYTES = 4096

# KEYS: the records hash, the forget-at sorted set. ARGV: worker name, record, forget at, now,
# most records kept, prune batch, key TTL in seconds. Returns how many records were forgotten.
STORE_SCRIPT = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[4], 'LIMIT', 0, tonumber(ARGV[6]))
local excess = redis.call('ZCARD', KEYS[2]) - #gone - tonumber(ARGV[5])
if excess > 0 then
	for _, name in ipairs(redis.call('ZRANGE', KEYS[2], #gone, #gone + excess - 1)) do
		table.insert(gone, name)
	end
end
if #gone > 0 then
	redis.call('HDEL', KEYS[1], unpack(gone))
	redis.call('ZREM', KEYS[2], unpack(gone))
end
redis.call('EXPIRE', KEYS[1], ARGV[7])
redis.call('EXPIRE', KEYS[2], ARGV[7])
return #gone
"""


@dataclass(frozen=True)
class WorkerHost:
	"""Where a worker ran its last job, as its work horse recorded it when the job started."""

	worker: str
	host: Host
	uid: int
	worker_pid: int
	worker_started: int | None
	horse_pid: int
	horse_started: int | None
	job_id: str
	forget_at: float


def remember_running_job() -> WorkerHost | None:
	"""Record the host of the job this process runs as a work horse; None outside a job."""
	job = get_current_job()
	if job is None or not job.worker_name:
		return None
	return remember(job.connection, job.worker_name, job.id, job.timeout)


def remember(
	connection: redis.Redis, worker_name: str, job_id: str, timeout: int | None, now: float | None = None
) -> WorkerHost:
	"""Record that this process, the horse of `worker_name`, runs `job_id` here."""
	now = time.time() if now is None else now
	parent, own = os.getppid(), os.getpid()
	record = WorkerHost(
		worker=worker_name,
		host=this_host(),
		uid=os.geteuid(),
		worker_pid=parent,
		worker_started=start_ticks(parent),
		horse_pid=own,
		horse_started=start_ticks(own),
		job_id=job_id,
		forget_at=now + remember_for(timeout),
	)
	store(connection, record, now)
	return record


def remember_for(timeout: int | None) -> float:
	"""How long a job's host is worth knowing: until its timeout would have ended it, plus a day."""
	timeout = Queue.DEFAULT_TIMEOUT if timeout is None else timeout
	if timeout < 0:
		return MAX_REMEMBER_S
	return min(timeout + REMEMBER_PAST_TIMEOUT_S, MAX_REMEMBER_S)


def store(
	connection: redis.Redis,
	record: WorkerHost,
	now: float,
	max_records: int = MAX_REMEMBERED_WORKERS,
	pipeline: redis.client.Pipeline | None = None,
) -> None:
	"""Write one record and prune the memory back within its bounds, atomically."""
	client = pipeline if pipeline is not None else connection
	connection.register_script(STORE_SCRIPT)(
		keys=[WORKER_HOSTS, WORKER_HOSTS_FORGET_AT],
		args=[
			record.worker,
			json.dumps(asdict(record)),
			record.forget_at,
			now,
			max_records,
			PRUNE_BATCH,
			MAX_REMEMBER_S,
		],
		client=client,
	)


def recall(connection: redis.Redis, names: Iterable[str], now: float | None = None) -> dict[str, WorkerHost]:
	"""The remembered host of each named worker that has one, in one round trip."""
	now = time.time() if now is None else now
	names = [name for name in dict.fromkeys(names) if name]
	if not names:
		return {}
	records = {}
	for name, raw in zip(names, connection.hmget(WORKER_HOSTS, names), strict=True):
		record = parse_record(raw)
		if record and record.worker == name and record.forget_at > now:
			records[name] = record
	return records


def parse_record(raw: bytes | str | None) -> WorkerHost | None:
	"""A stored record, or None for anything that is not one: a reader of Redis never raises."""
	if raw is None or len(raw) > MAX_RECORD_BYTES:
		return None
	try:
		fields = json.loads(text(raw))
		host = fields["host"]
		record = WorkerHost(
			worker=fields["worker"],
			host=Host(host["hostname"], host["boot_id"], host["pid_namespace"]),
			uid=fields["uid"],
			worker_pid=fields["worker_pid"],
			worker_started=fields["worker_started"],
			horse_pid=fields["horse_pid"],
			horse_started=fields["horse_started"],
			job_id=fields["job_id"],
			forget_at=fields["forget_at"],
		)
	except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError, RecursionError):
		return None
	return record if well_formed(record) else None


def well_formed(record: WorkerHost) -> bool:
	"""Every field of the type a horse writes: names that are strings, pids that are pids."""
	host = record.host
	return (
		all(isinstance(value, str) for value in (record.worker, record.job_id))
		and all(
			value is None or isinstance(value, str)
			for value in (host.hostname, host.boot_id, host.pid_namespace)
		)
		and all(is_count(value) for value in (record.uid, record.worker_pid, record.horse_pid))
		and record.worker_pid > 0
		and record.horse_pid > 0
		and all(value is None or is_count(value) for value in (record.worker_started, record.horse_started))
		and type(record.forget_at) in (int, float)
		and math.isfinite(record.forget_at)
	)


def is_count(value: object) -> bool:
	return type(value) is int and value >= 0
