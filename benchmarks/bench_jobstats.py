"""Job statistics for an hour of 100,000 finished jobs, and what one minute's sample costs.

Goal (issue 28): the stats for an hour of 100,000 finished jobs answer in under 100 ms; sampling adds
no job to the scheduler (it rides an existing tick) and stays cheap. The hour's stats read 60 stored
minute aggregates, as the sample writes them; the baseline computes the same per-method figures from
the 100,000 job hashes themselves (their times and descriptions, pipelined), as a reader without
aggregates must. The sample is measured on a minute's 1,667 new jobs in a finished registry holding
ten minutes of them (RQ's result TTL in a Frappe bench), against fetching those ten minutes of jobs
with RQ's Job.fetch_many.
"""

import json
import random
import statistics
import time
from collections import defaultdict
from datetime import datetime, timezone

from rq import Queue
from rq.job import Job

from perf_engine.core.jobs.keys import JOB, REGISTRIES
from perf_engine.core.jobstats import report, sampling
from perf_engine.core.jobstats.aggregate import JobAggregate
from perf_engine.core.jobstats.failures import Failure
from perf_engine.core.jobstats.keys import MINUTE, SAMPLING_LOCK, minute_of
from perf_engine.core.latency.thresholds import percentile
from tests.services import claimed_redis_db

QUEUES = {"default": "bench:default", "short": "bench:short", "long": "bench:long"}
HOUR_JOBS = 100_000
METHODS = [f"app.module_{n // 8}.task_{n}" for n in range(40)]
SITES = ("a.localhost", "b.localhost")
FAILURE_SHARE = 0.05
RESULT_TTL_MINUTES = 10
BATCH = 2_000
ROUNDS = 7
RQ_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


def jobs_of_an_hour(rng: random.Random, total: int, now_s: float) -> list[dict]:
	"""`total` jobs ending over the hour before `now_s`: lognormal run times and waits, a few failures."""
	jobs = []
	for n in range(total):
		ended = now_s - 3600 + 3600 * n / total
		run = rng.lognormvariate(-1, 1.2)
		wait = rng.lognormvariate(0, 1.5)
		jobs.append(
			{
				"id": f"{rng.choice(SITES)}::job-{n}",
				"method": rng.choice(METHODS),
				"queue": rng.choice(list(QUEUES)),
				"ended": ended,
				"started": ended - run,
				"enqueued": ended - run - wait,
				"failed": rng.random() < FAILURE_SHARE,
			}
		)
	return jobs


def store_minutes(client, jobs: list[dict]) -> int:
	"""The minute aggregates a sample would have written for these jobs; returns the bytes stored."""
	minutes: dict[int, JobAggregate] = defaultdict(JobAggregate)
	for job in jobs:
		failure = Failure("ValueError", f"bad row {hash(job['method']) % 7}") if job["failed"] else None
		minutes[minute_of(job["ended"])].add_job(
			(job["id"].split("::")[0], job["method"], job["queue"]),
			job["ended"] - job["started"],
			job["started"] - job["enqueued"],
			failure,
			job["ended"],
			"Traceback (most recent call last):\n  ...\nValueError: bad row",
			job["id"],
		)
	size = 0
	for minute, aggregate in minutes.items():
		aggregate.add_usage("default", 40.0, 60.0)
		raw = json.dumps(aggregate.to_json(), separators=(",", ":"))
		client.set(MINUTE.format(minute), raw)
		size += len(raw)
	return size


def store_hashes(client, jobs: list[dict]) -> None:
	"""The jobs' hashes as RQ keeps them (times, status, description), for the baseline to read."""
	for start in range(0, len(jobs), BATCH):
		with client.pipeline(transaction=False) as pipe:
			for job in jobs[start : start + BATCH]:
				pipe.hset(
					JOB.format(job["id"]),
					mapping={
						"status": "failed" if job["failed"] else "finished",
						"origin": QUEUES[job["queue"]],
						"enqueued_at": at(job["enqueued"]),
						"started_at": at(job["started"]),
						"ended_at": at(job["ended"]),
						"description": f"frappe.utils.background_jobs.execute_job(site='x', method='{job['method']}')",
					},
				)
			pipe.execute()


def at(epoch_s: float) -> str:
	return datetime.fromtimestamp(epoch_s, timezone.utc).strftime(RQ_TIME)


def from_hashes(client, ids: list[str]) -> dict:
	"""The baseline: per-method runs, failures and nearest-rank run and wait percentiles from every hash."""
	runs, waits, failures = defaultdict(list), defaultdict(list), defaultdict(int)
	for start in range(0, len(ids), BATCH):
		with client.pipeline(transaction=False) as pipe:
			for job_id in ids[start : start + BATCH]:
				pipe.hmget(
					JOB.format(job_id), "status", "enqueued_at", "started_at", "ended_at", "description"
				)
			replies = pipe.execute()
		for status, enqueued, started, ended, description in replies:
			method = description.decode().split("method='", 1)[1].split("'", 1)[0]
			enqueued, started, ended = (
				datetime.strptime(v.decode(), RQ_TIME) for v in (enqueued, started, ended)
			)
			runs[method].append((ended - started).total_seconds())
			waits[method].append((started - enqueued).total_seconds())
			failures[method] += status == b"failed"
	return {
		method: {
			"runs": len(runs[method]),
			"failures": failures[method],
			**{f"run_p{p}": percentile(runs[method], p) for p in (50, 95, 99)},
			**{f"wait_p{p}": percentile(waits[method], p) for p in (50, 95, 99)},
		}
		for method in runs
	}


def timed(func, rounds: int = ROUNDS) -> float:
	times = []
	for _ in range(rounds):
		started = time.perf_counter()
		func()
		times.append(time.perf_counter() - started)
	return statistics.median(times)


def finished_registry(client, count: int, now_s: float, new: int) -> None:
	"""`count` real RQ jobs in a finished registry (ten minutes of them), the newest `new` not yet sampled."""
	queue = Queue(QUEUES["default"], connection=client)
	key = REGISTRIES["finished"].format(QUEUES["default"])
	for start in range(0, count, BATCH):
		jobs = queue.enqueue_many(
			[
				Queue.prepare_data("app.tasks.work", args=(n,), job_id=f"a.localhost::r{n}")
				for n in range(start, min(count, start + BATCH))
			]
		)
		with client.pipeline(transaction=False) as pipe:
			for offset, job in enumerate(jobs):
				ended = now_s - RESULT_TTL_MINUTES * 60 * (1 - (start + offset) / count)
				pipe.hset(
					job.key,
					mapping={"status": "finished", "started_at": at(ended - 0.2), "ended_at": at(ended)},
				)
				pipe.zadd(key, {job.id: ended + RESULT_TTL_MINUTES * 60})
			pipe.execute()
	client.delete(queue.key)
	# Everything but the newest minute was counted by earlier samples.
	ids = client.zrange(key, 0, count - new - 1, withscores=True)
	if ids:
		client.zadd(f"perf_engine:jobstats:seen:{key}", dict(ids))


def run(quick: bool) -> str:
	total = 10_000 if quick else HOUR_JOBS
	rng = random.Random(28)
	now_s = time.time()
	jobs = jobs_of_an_hour(rng, total, now_s)
	with claimed_redis_db() as claimed:
		client = claimed.client
		stored_bytes = store_minutes(client, jobs)
		store_hashes(client, jobs)
		ids = [job["id"] for job in jobs]
		ours_s = timed(lambda: report.window_report(client, QUEUES, now_s - 3600, now_s))
		baseline_s = timed(lambda: from_hashes(client, ids), 1 if not quick else 3)
		found = report.window_report(client, QUEUES, now_s - 3600, now_s)
		counted = sum(row["runs"] for row in found["methods"])
		client.flushdb()
		per_minute = total // 60
		finished_registry(client, per_minute * RESULT_TTL_MINUTES, now_s, per_minute)

		# Once only: after it, the minute's jobs are counted.
		client.delete(SAMPLING_LOCK)
		started = time.perf_counter()
		sampled = sampling.sample(client, QUEUES).jobs
		sample_s = time.perf_counter() - started
		registry_ids = [
			i.decode() for i in client.zrange(REGISTRIES["finished"].format(QUEUES["default"]), 0, -1)
		]
		fetch_s = timed(lambda: Job.fetch_many(registry_ids, connection=client), 3)
		claimed.client.flushdb()
	return (
		f"## Job statistics for an hour of {total:,} finished jobs (issue 28)\n\n"
		f"{len(METHODS)} methods on {len(QUEUES)} queues of {len(SITES)} sites, {FAILURE_SHARE:.0%} failing; "
		f"60 minute aggregates of {stored_bytes / 60 / 1024:.1f} KB each on average.\n\n"
		"| what | median |\n|---|---|\n"
		f"| the hour's stats from the stored minutes (`report.window_report`) | {ours_s * 1000:.1f} ms |\n"
		f"| baseline: the same per-method figures from the {total:,} job hashes | {baseline_s * 1000:.0f} ms |\n"
		f"| one minute's sample: {per_minute:,} new jobs in a registry of {per_minute * RESULT_TTL_MINUTES:,} | "
		f"{sample_s * 1000:.0f} ms |\n"
		f"| baseline: `Job.fetch_many` of the registry's {per_minute * RESULT_TTL_MINUTES:,} jobs | {fetch_s * 1000:.0f} ms |\n\n"
		f"Ratio: the hour's stats **{baseline_s / ours_s:,.0f}x faster** than reading the jobs (absolute "
		f"{ours_s * 1000:.1f} ms, goal < 100 ms; {counted:,} runs counted). A minute's sample costs "
		f"{sample_s / fetch_s:.2f}x a plain fetch of the registry's jobs ({sampled:,} jobs sampled), "
		f"{sample_s / 60:.2%} of the minute; it rides the existing minute tick (no scheduled job of its own).\n"
	)
