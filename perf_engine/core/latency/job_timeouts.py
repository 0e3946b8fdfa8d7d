"""How long this site's longest jobs ran, and which ones hit their own RQ timeout.

Sources: each queue's failed registry, newest first and at most FAILED_LOOKBACK jobs, for
jobs RQ ended with its JobTimeoutException (their run time is started to ended); and the
monitor's longest job durations, each against the timeout its RQ job hash still holds.
Only jobs named `<site>::...` (how Frappe names every job it enqueues) count. Reads only.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

import redis
from rq.job import Job

from perf_engine.core.jobs.keys import JOB, REGISTRIES, site_of, text
from perf_engine.core.jobs.stalls import exc_info

FAILED_LOOKBACK = 200
TIMEOUT_EXCEPTION = "JobTimeoutException"
# A job that used this share of its timeout is close to being killed.
NEAR_TIMEOUT_RATIO = 0.9


@dataclass
class JobTimeouts:
	"""The longest run (s) of the window's jobs, the ones killed at their timeout and the ones close to it."""

	longest_s: float | None = None
	samples: int = 0
	timed_out: list[dict] = field(default_factory=list)
	near_timeout: list[dict] = field(default_factory=list)


def timed_out_jobs(
	connection: redis.Redis, rq_queues: Iterable[str], site: str, since: datetime
) -> list[dict]:
	"""Jobs of this site that RQ failed with its timeout exception since `since`, newest failures first."""
	found = []
	for rq_name in rq_queues:
		ids = [
			text(i)
			for i in connection.zrevrange(REGISTRIES["failed"].format(rq_name), 0, FAILED_LOOKBACK - 1)
		]
		ids = [i for i in ids if site_of(i) == site]
		for job in Job.fetch_many(ids, connection=connection) if ids else []:
			if job is None or not job.started_at or not job.ended_at:
				continue
			started = job.started_at.replace(tzinfo=timezone.utc)
			ended = job.ended_at.replace(tzinfo=timezone.utc)
			if ended >= since and TIMEOUT_EXCEPTION in exc_info(job):
				found.append(
					{
						"job_id": job.id,
						"queue": rq_name,
						"ran_s": round((ended - started).total_seconds(), 3),
						"timeout_s": job.timeout,
					}
				)
	return found


def job_timeouts_of(connection: redis.Redis, job_ids: Iterable[str]) -> dict[str, float]:
	"""Each job's own timeout from its RQ hash (one pipelined round trip); gone or unlimited jobs are left out."""
	job_ids = list(job_ids)
	pipe = connection.pipeline(transaction=False)
	for job_id in job_ids:
		pipe.hget(JOB.format(job_id), "timeout")
	found = {}
	for job_id, value in zip(job_ids, pipe.execute(), strict=True):
		try:
			timeout = float(text(value))
		except (TypeError, ValueError):
			continue
		if timeout > 0:
			found[job_id] = timeout
	return found


def measure(
	connection: redis.Redis,
	rq_queues: Iterable[str],
	site: str,
	since: datetime,
	longest_jobs: Iterable[tuple[float, str, str]],
	job_count: int,
) -> JobTimeouts:
	"""The window's longest job run from the site's monitor window (`longest_jobs`, `job_count`) and
	the failed registries."""
	longest_jobs = list(longest_jobs)
	timed_out = timed_out_jobs(connection, rq_queues, site, since)
	timeouts: Mapping[str, float] = job_timeouts_of(connection, [job_id for _, job_id, _ in longest_jobs])
	near = [
		{"job_id": job_id, "method": method, "ran_s": round(ran, 3), "timeout_s": timeouts[job_id]}
		for ran, job_id, method in sorted(longest_jobs, reverse=True)
		if job_id in timeouts and ran >= NEAR_TIMEOUT_RATIO * timeouts[job_id]
	]
	runs = [ran for ran, _, _ in longest_jobs] + [job["ran_s"] for job in timed_out]
	monitored = {job_id for _, job_id, _ in longest_jobs}
	samples = job_count + sum(1 for job in timed_out if job["job_id"] not in monitored)
	return JobTimeouts(max(runs) if runs else None, samples, timed_out, near)
