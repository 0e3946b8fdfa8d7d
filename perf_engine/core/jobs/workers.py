"""The one definition of a live RQ worker: a worker key that still exists and a recent heartbeat.

Membership of `rq:workers` is not proof of life: a worker killed with SIGKILL stays in
the set (and its key stays until its TTL) although it will never heartbeat again. Queue
status, the capacity comparison and doctor all count workers through this module, with
reads only: unlike rq's `Worker.all`, nothing here removes a stale key.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import redis
from rq.defaults import DEFAULT_JOB_MONITORING_INTERVAL

from perf_engine.core.errors import InvalidInput
from perf_engine.core.jobs.keys import WORKER, WORKERS, WORKERS_BY_QUEUE, parse_time, text, worker_name

# A busy RQ worker heartbeats every job_monitoring_interval (30 s; Frappe 15 keeps RQ's
# default) and an idle one every dequeue timeout (worker_ttl - 15 = 405 s).
RQ_BUSY_HEARTBEAT_S = DEFAULT_JOB_MONITORING_INTERVAL
# A beat can arrive late by a slow Redis round trip or a loaded host; 15 s covers that.
HEARTBEAT_MARGIN_S = 15
MIN_HEARTBEAT_GRACE_S = RQ_BUSY_HEARTBEAT_S + HEARTBEAT_MARGIN_S
# Three missed busy beats mean dead.
HEARTBEAT_GRACE_S = 3 * RQ_BUSY_HEARTBEAT_S


@dataclass(frozen=True)
class WorkerState:
	"""What a worker's hash says: alive or not, and where its main process runs."""

	name: str
	alive: bool
	state: str | None
	current_job: str | None
	last_heartbeat: datetime | None
	hostname: str | None = None
	pid: int | None = None
	birth: datetime | None = None
	queues: tuple[str, ...] = ()


def check_heartbeat_grace(grace_s: float) -> float:
	"""A grace shorter than RQ's own heartbeat interval would call healthy busy workers dead."""
	if (
		isinstance(grace_s, bool)
		or not isinstance(grace_s, int | float)
		or not grace_s >= MIN_HEARTBEAT_GRACE_S
	):
		raise InvalidInput(
			f"The heartbeat grace must be at least {MIN_HEARTBEAT_GRACE_S} s (RQ's {RQ_BUSY_HEARTBEAT_S} s "
			f"heartbeat plus {HEARTBEAT_MARGIN_S} s margin), got {grace_s!r}: a shorter one calls healthy workers dead"
		)
	return grace_s


def worker_states(
	connection: redis.Redis, names: Iterable[str], now: datetime, heartbeat_grace_s: float = HEARTBEAT_GRACE_S
) -> dict[str, WorkerState]:
	"""State of each named worker in one round trip; busy workers must have beaten recently."""
	check_heartbeat_grace(heartbeat_grace_s)
	names = list(dict.fromkeys(names))
	with connection.pipeline(transaction=False) as pipe:
		for name in names:
			pipe.hmget(
				WORKER.format(name),
				"state",
				"current_job",
				"last_heartbeat",
				"hostname",
				"pid",
				"birth",
				"queues",
			)
		replies = pipe.execute()
	states = {}
	for name, reply in zip(names, replies, strict=True):
		state, current_job, heartbeat, hostname, pid, birth, queues = reply
		state, current_job, beat = text(state), text(current_job), parse_time(heartbeat)
		exists = state is not None or beat is not None
		lapsed = beat is None or (state == "busy" and (now - beat).total_seconds() > heartbeat_grace_s)
		states[name] = WorkerState(
			name,
			exists and not lapsed,
			state,
			current_job,
			beat,
			text(hostname),
			int(pid) if pid else None,
			parse_time(birth),
			tuple(q for q in (text(queues) or "").split(",") if q),
		)
	return states


def registered_workers(connection: redis.Redis, now: datetime) -> list[WorkerState]:
	"""Every worker in RQ's registry, alive or not, sorted by name."""
	names = sorted(worker_name(key) for key in connection.smembers(WORKERS))
	return list(worker_states(connection, names, now).values())


def live_workers(
	connection: redis.Redis, rq_queue_names: Iterable[str], now: datetime
) -> dict[str, list[WorkerState]]:
	"""The live workers listening on each RQ queue, in two round trips whatever the count."""
	rq_queue_names = list(rq_queue_names)
	with connection.pipeline(transaction=False) as pipe:
		for rq_name in rq_queue_names:
			pipe.smembers(WORKERS_BY_QUEUE.format(rq_name))
		keys = dict(zip(rq_queue_names, pipe.execute(), strict=True))
	return alive_by_queue(connection, keys, now)


def alive_by_queue(
	connection: redis.Redis, worker_keys: dict[str, Iterable[bytes]], now: datetime
) -> dict[str, list[WorkerState]]:
	"""Given each queue's worker keys (`rq:workers:QUEUE` members), the live workers by name."""
	names = {queue: sorted(worker_name(key) for key in keys) for queue, keys in worker_keys.items()}
	states = worker_states(connection, [n for listed in names.values() for n in listed], now)
	return {queue: [states[n] for n in listed if states[n].alive] for queue, listed in names.items()}
