"""Sampling: the jobs RQ finished or failed since the previous sample, into per-minute aggregates.

Each sample reads, per queue, the ids and scores of RQ's finished and failed registries (entries
not yet expired, in pages of PAGE, at most MAX_SCAN a registry) and compares them with a mirror of
the pairs already counted (one ZMSCORE a page): an id with a new score is a new run, so a job id
Frappe reuses (scheduled jobs) counts once per run, and a mix of TTLs in one registry (Frappe's,
RQ's defaults) needs no cursor. Only the new jobs' hashes are read (status, times, Frappe's payload
and description; for failures RQ's latest result), at most MAX_NEW a sample; the rest wait for the
next one. A job counts in the minute it ended. The workers' counters are sampled in the same pass
(`utilization`). One process samples at a time (a lock), and samples are at least MIN_INTERVAL_S
apart, so every site's tick, the API and the CLI may ask. It writes only perf_engine's own keys.
"""

import json
import logging
import time
import uuid
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import redis
from rq.job import Job
from rq.results import Result

from perf_engine.core.jobs.job_details import method_of
from perf_engine.core.jobs.keys import JOB, REGISTRIES, parse_time, site_of, text
from perf_engine.core.jobstats import failures, utilization
from perf_engine.core.jobstats.aggregate import JobAggregate
from perf_engine.core.jobstats.keys import (
	MINUTE,
	MINUTE_S,
	RETAIN_MINUTES,
	RETAIN_S,
	SAMPLING_LOCK,
	SEEN,
	STATE_TTL_S,
	minute_of,
)

logger = logging.getLogger(__name__)
SAMPLED_REGISTRIES = ("finished", "failed")
PAGE = 1000
MAX_SCAN = 100_000
MAX_NEW = 20_000
JOB_FIELDS = ("status", "enqueued_at", "started_at", "ended_at", "data", "description", "exc_info")
ENDED = ("finished", "failed", "stopped")
# Held while a sample runs (longer than any bounded sample takes); then left to expire this much later.
LOCK_HOLD_S = 300
MIN_INTERVAL_S = 10
RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) end
return 0
"""


@dataclass(frozen=True)
class Entry:
	"""One registry entry not counted yet."""

	queue: str
	registry: str
	registry_key: str
	job_id: str
	score: float


@dataclass
class Sample:
	"""What one sample did."""

	ran: bool = True
	jobs: int = 0
	gone: int = 0
	too_old: int = 0
	more_waiting: bool = False
	workers: int = 0
	minutes: dict[int, JobAggregate] = field(default_factory=dict)

	def as_dict(self) -> dict:
		return {
			"ran": self.ran,
			"jobs": self.jobs,
			"gone": self.gone,
			"too_old": self.too_old,
			"more_waiting": self.more_waiting,
			"minutes": sorted(self.minutes),
		}


def sample(connection: redis.Redis, queues: Mapping[str, str], now_s: float | None = None) -> Sample:
	"""Count the jobs that ended since the previous sample and the workers' busy time; `queues` maps the
	name people use to the RQ queue name. Returns at once (ran=False) while another sample holds the lock
	or the previous one was under MIN_INTERVAL_S ago."""
	token = uuid.uuid4().hex
	if not connection.set(SAMPLING_LOCK, token, nx=True, ex=LOCK_HOLD_S):
		return Sample(ran=False)
	try:
		return sample_locked(connection, queues, time.time() if now_s is None else now_s)
	finally:
		connection.eval(RELEASE, 1, SAMPLING_LOCK, token, MIN_INTERVAL_S)


def sample_locked(connection: redis.Redis, queues: Mapping[str, str], now_s: float) -> Sample:
	found = Sample()
	entries, found.more_waiting = unseen(connection, queues, now_s)
	oldest = minute_of(now_s) - RETAIN_MINUTES + 1
	for fields in read_jobs(connection, entries, now_s):
		if fields is None:
			found.gone += 1
			continue
		ended_s, cell = fields
		minute = min(minute_of(ended_s), minute_of(now_s))
		if minute < oldest:
			found.too_old += 1
			continue
		found.minutes.setdefault(minute, JobAggregate()).merge(cell)
		found.jobs += 1
	by_rq_name = {rq_name: name for name, rq_name in queues.items()}
	for minute, queue, busy, available in utilization.sample(connection, by_rq_name, now_s):
		if minute >= oldest:
			found.minutes.setdefault(minute, JobAggregate()).add_usage(queue, busy, available)
	write(connection, found.minutes, entries, now_s)
	return found


def unseen(connection: redis.Redis, queues: Mapping[str, str], now_s: float) -> tuple[list[Entry], bool]:
	"""Registry entries whose (id, score) the mirror does not hold, oldest first; and whether more are
	left than one sample reads."""
	entries: dict[tuple[str, str], Entry] = {}
	for name, rq_name in queues.items():
		for registry in SAMPLED_REGISTRIES:
			key = REGISTRIES[registry].format(rq_name)
			for start in range(0, MAX_SCAN, PAGE):
				page = connection.zrangebyscore(key, now_s, "+inf", start=start, num=PAGE, withscores=True)
				if not page:
					break
				ids = [text(job_id) for job_id, _ in page]
				counted = connection.zmscore(SEEN.format(key), ids)
				for job_id, (_, score), seen in zip(ids, page, counted, strict=True):
					if seen != score:
						entries[(key, job_id)] = Entry(name, registry, key, job_id, score)
				if len(page) < PAGE or len(entries) > MAX_NEW:
					break
	ordered = sorted(entries.values(), key=lambda e: e.score)
	return ordered[:MAX_NEW], len(ordered) > MAX_NEW


def read_jobs(
	connection: redis.Redis, entries: list[Entry], now_s: float
) -> list[tuple[float, JobAggregate] | None]:
	"""Each entry's job as a one-job aggregate with the moment it ended; None for a job whose hash is gone
	or that runs again (Frappe reuses scheduled jobs' ids). A failure's latest result is read with it."""
	found = []
	for start in range(0, len(entries), PAGE):
		batch = entries[start : start + PAGE]
		with connection.pipeline(transaction=False) as pipe:
			for entry in batch:
				pipe.hmget(JOB.format(entry.job_id), *JOB_FIELDS)
				if failed(entry):
					pipe.xrevrange(Result.get_key(entry.job_id), count=1)
			replies = iter(pipe.execute())
		for entry in batch:
			fields = next(replies)
			results = next(replies) if failed(entry) else []
			found.append(one_job(connection, entry, fields, results, now_s))
	return found


def failed(entry: Entry) -> bool:
	return entry.registry == "failed"


def one_job(
	connection: redis.Redis, entry: Entry, fields: list, results: list, now_s: float
) -> tuple[float, JobAggregate] | None:
	status, enqueued, started, ended, data, description, exc_info = fields
	if data is None or text(status) not in ENDED:
		return None
	enqueued, started, ended = parse_time(enqueued), parse_time(started), parse_time(ended)
	job = Job(entry.job_id, connection=connection)
	job.restore({"data": data, "description": description})
	method = method_of(job)
	# RQ's cleanup fails an abandoned job without an end: it counts now, without a run time.
	ended_s = ended.timestamp() if ended else now_s
	run_s = (ended - started).total_seconds() if ended and started else None
	wait_s = (started - enqueued).total_seconds() if started and enqueued else None
	failure, example = None, ""
	if text(status) != "finished":
		example = failure_text(connection, entry.job_id, results, exc_info)
		failure = failures.read(example)
	one = JobAggregate()
	one.add_job(
		(site_of(entry.job_id) or "", method, entry.queue),
		run_s,
		wait_s,
		failure,
		ended_s,
		failures.example(example),
		entry.job_id,
	)
	return ended_s, one


def failure_text(connection: redis.Redis, job_id: str, results: list, exc_info: bytes | None) -> str:
	"""RQ keeps a failure's traceback in the job's latest result (Redis streams), or in the job hash when
	its own cleanup moved the job (abandoned); never raises."""
	try:
		if results:
			result_id, payload = results[0]
			result = Result.restore(job_id, text(result_id), payload, connection=connection)
			if result.exc_string:
				return result.exc_string
		if exc_info:
			return text(zlib.decompress(exc_info))
	except (zlib.error, ValueError, TypeError, KeyError) as exc:
		logger.info("unreadable failure text of job %s: %s", job_id, exc)
	return ""


def write(
	connection: redis.Redis, minutes: dict[int, JobAggregate], entries: list[Entry], now_s: float
) -> None:
	"""Merge the sample into its minutes and mark its entries counted, in one transaction."""
	keys = [MINUTE.format(minute) for minute in minutes]
	stored = connection.mget(keys) if keys else []
	for (minute, aggregate), raw in zip(minutes.items(), stored, strict=True):
		if raw:
			try:
				aggregate.add_stored(json.loads(raw))
			except ValueError:
				logger.warning("job statistics of minute %s were unreadable and are replaced", minute)
	by_registry: dict[str, dict[str, float]] = {}
	for entry in entries:
		by_registry.setdefault(entry.registry_key, {})[entry.job_id] = entry.score
	with connection.pipeline(transaction=True) as pipe:
		for minute, aggregate in minutes.items():
			expires = int((minute + 1) * MINUTE_S + RETAIN_S - now_s)
			pipe.set(
				MINUTE.format(minute),
				json.dumps(aggregate.to_json(), separators=(",", ":")),
				ex=max(1, expires),
			)
		for registry_key, scores in by_registry.items():
			seen = SEEN.format(registry_key)
			pipe.zadd(seen, scores)
			# What the registry no longer holds can never come back under the same score.
			pipe.zremrangebyscore(seen, "-inf", f"({now_s}")
			pipe.expire(seen, STATE_TTL_S)
		pipe.execute()
