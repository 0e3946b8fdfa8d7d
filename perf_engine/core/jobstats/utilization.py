"""How busy each queue's workers were: RQ's own per-worker counters, sampled.

RQ adds a job's run time to its worker's `total_working_time` when the job ends (the counters
rq-exporter reports as rq_workers_working_time_total, with successful_job_count and
failed_job_count). Between two samples a worker was busy for the growth of that counter, plus
the part of its current job run since the previous sample, minus the part counted then; it was
available for the time between the samples (since its birth for a worker born meanwhile). Both
are spread over the minutes they cover and counted for every queue the worker listens to. A
worker is counted only while RQ's live-worker rule (`core.jobs.workers`) calls it alive.
"""

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

import redis

from perf_engine.core.jobs.keys import JOB, WORKER, WORKERS, parse_time, text, worker_name
from perf_engine.core.jobs.workers import WorkerState, worker_states
from perf_engine.core.jobstats.keys import MINUTE_S, RETAIN_S, STATE_TTL_S, WORKER_BASELINES

COUNTERS = ("total_working_time", "successful_job_count", "failed_job_count")
# The baselines' own field: when the previous sample was taken.
SAMPLED_AT = "__sampled_at__"


@dataclass(frozen=True)
class WorkerFigures:
	"""One registered worker now: RQ's counters as RQ keeps them, and its job in progress."""

	state: WorkerState
	working_time_s: float
	successful_jobs: int
	failed_jobs: int
	current_run_s: float

	def as_dict(self, queue_names: Mapping[str, str]) -> dict:
		return {
			"name": self.state.name,
			"queues": [queue_names.get(q, q) for q in self.state.queues],
			"state": self.state.state,
			"alive": self.state.alive,
			"successful_jobs": self.successful_jobs,
			"failed_jobs": self.failed_jobs,
			"working_time_s": round(self.working_time_s, 6),
		}


def number(value: bytes | None, kind: type = float):
	"""A counter RQ has not written yet is 0."""
	try:
		return kind(text(value) or 0)
	except ValueError:
		return kind(0)


def registered(connection: redis.Redis, now: datetime) -> list[WorkerFigures]:
	"""Every worker in RQ's registry whose hash still exists, with its counters, sorted by name (three
	round trips whatever the count)."""
	names = sorted(worker_name(key) for key in connection.smembers(WORKERS))
	states = worker_states(connection, names, now)
	with connection.pipeline(transaction=False) as pipe:
		for name in names:
			pipe.hmget(WORKER.format(name), *COUNTERS)
		counters = dict(zip(names, pipe.execute(), strict=True))
	busy = [s for s in states.values() if s.state == "busy" and s.current_job]
	with connection.pipeline(transaction=False) as pipe:
		for state in busy:
			pipe.hget(JOB.format(state.current_job), "started_at")
		started = {s.name: parse_time(at) for s, at in zip(busy, pipe.execute(), strict=True)}
	found = []
	for name in names:
		state = states[name]
		if state.state is None and state.last_heartbeat is None:
			continue  # its hash is gone: RQ's Worker.all would drop it too
		working, successes, failures = counters[name]
		run = (now - started[name]).total_seconds() if started.get(name) else 0.0
		found.append(
			WorkerFigures(
				state, number(working), number(successes, int), number(failures, int), max(0.0, run)
			)
		)
	return found


def spread(start_s: float, end_s: float, busy_s: float) -> Iterator[tuple[int, float, float]]:
	"""(minute, busy share, available share) of one worker's span, split at minute boundaries."""
	start_s = max(start_s, end_s - RETAIN_S)
	span = end_s - start_s
	if span <= 0:
		return
	at = start_s
	while at < end_s:
		minute = int(at // MINUTE_S)
		step = min(end_s, (minute + 1) * MINUTE_S) - at
		yield minute, busy_s * step / span, step
		at += step


def sample(
	connection: redis.Redis, queue_names: Mapping[str, str], now_s: float
) -> list[tuple[int, str, float, float]]:
	"""(minute, queue, busy s, available s) since the previous sample, per queue of `queue_names`
	(RQ name -> name people use); the new baselines are stored for the next sample."""
	now = datetime.fromtimestamp(now_s, timezone.utc)
	workers = [w for w in registered(connection, now) if w.state.alive]
	stored = connection.hgetall(WORKER_BASELINES)
	previous_at = number(stored.pop(SAMPLED_AT.encode(), None))
	baselines = {text(name): load(raw) for name, raw in stored.items()}
	contributions = []
	for worker in workers:
		span = busy_since(worker, baselines.get(worker.state.name), previous_at, now_s)
		if span is None:
			continue
		start_s, busy_s = span
		for queue in worker.state.queues:
			if queue in queue_names:
				contributions += [
					(minute, queue_names[queue], busy, available)
					for minute, busy, available in spread(start_s, now_s, busy_s)
				]
	keep(connection, workers, baselines, now_s)
	return contributions


def busy_since(
	worker: WorkerFigures, baseline: dict | None, previous_at: float, now_s: float
) -> tuple[float, float] | None:
	"""When this worker's span starts and how long it was busy in it; None for a worker first seen now
	that was already alive at the previous sample (no baseline to measure from)."""
	birth = worker.state.birth.timestamp() if worker.state.birth else None
	if baseline and baseline.get("birth") == birth and worker.working_time_s >= baseline["working"]:
		start = baseline["at"]
		busy = worker.working_time_s - baseline["working"] + worker.current_run_s - baseline["run"]
	elif birth is not None and previous_at and birth >= previous_at:
		start, busy = birth, worker.working_time_s + worker.current_run_s
	else:
		return None
	available = now_s - start
	return start, min(max(busy, 0.0), max(available, 0.0))


def load(raw: bytes) -> dict | None:
	"""A stored baseline, or None when it cannot be read (the worker is then measured from its next sample)."""
	try:
		found = json.loads(raw)
		return {
			"at": float(found["at"]),
			"birth": found["birth"],
			"working": float(found["working"]),
			"run": float(found["run"]),
		}
	except (KeyError, TypeError, ValueError):
		return None


def keep(connection: redis.Redis, workers: list[WorkerFigures], baselines: dict, now_s: float) -> None:
	"""Store this sample's baselines; workers no longer alive are forgotten."""
	fields = {
		w.state.name: json.dumps(
			{
				"at": now_s,
				"birth": w.state.birth.timestamp() if w.state.birth else None,
				"working": w.working_time_s,
				"run": w.current_run_s,
			}
		)
		for w in workers
	}
	gone = set(baselines) - set(fields)
	with connection.pipeline(transaction=True) as pipe:
		if gone:
			pipe.hdel(WORKER_BASELINES, *gone)
		pipe.hset(WORKER_BASELINES, mapping={**fields, SAMPLED_AT: now_s})
		pipe.expire(WORKER_BASELINES, STATE_TTL_S)
		pipe.execute()
