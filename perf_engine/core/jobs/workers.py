"""Whether RQ workers are alive: a worker key that still exists and a recent heartbeat.

Membership of `rq:workers` is not proof of life: a worker killed with SIGKILL stays in
the set (and its key stays until its TTL) although it will never heartbeat again.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import redis

from perf_engine.core.jobs.keys import WORKER, parse_time, text

# RQ heartbeats every job_monitoring_interval (30 s) while busy and every dequeue
# timeout (worker_ttl - 15 = 405 s) while idle; three missed busy beats mean dead.
HEARTBEAT_GRACE_S = 90


@dataclass(frozen=True)
class WorkerState:
	name: str
	alive: bool
	state: str | None
	current_job: str | None
	last_heartbeat: datetime | None


def worker_states(
	connection: redis.Redis, names: Iterable[str], now: datetime, heartbeat_grace_s: float = HEARTBEAT_GRACE_S
) -> dict[str, WorkerState]:
	"""State of each named worker in one round trip; busy workers must have beaten recently."""
	names = list(dict.fromkeys(names))
	with connection.pipeline(transaction=False) as pipe:
		for name in names:
			pipe.hmget(WORKER.format(name), "state", "current_job", "last_heartbeat")
		replies = pipe.execute()
	states = {}
	for name, (state, current_job, heartbeat) in zip(names, replies, strict=True):
		state, current_job, beat = text(state), text(current_job), parse_time(heartbeat)
		exists = state is not None or beat is not None
		lapsed = beat is None or (state == "busy" and (now - beat).total_seconds() > heartbeat_grace_s)
		states[name] = WorkerState(name, exists and not lapsed, state, current_job, beat)
	return states
