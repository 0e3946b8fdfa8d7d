"""Worker utilization from RQ's own per-worker counters, and when a queue needs workers, with real rq workers."""

import json
import time
from datetime import datetime, timezone

import pytest
from rq import Queue
from rq.job import Job

from perf_engine.core.health import rules
from perf_engine.core.jobs.keys import WORKER, WORKERS
from perf_engine.core.jobstats import report, utilization, verdict
from perf_engine.core.jobstats.aggregate import JobAggregate
from perf_engine.core.jobstats.keys import MINUTE, MINUTE_S, WORKER_BASELINES, minute_of
from perf_engine.core.latency.histogram import Histogram
from perf_engine.core.settings import Settings
from tests.jobstats_helpers import QUEUES, sample_now, wait_ended, wait_for

SLEEP = "tests.jobfuncs.sleep_for"
BY_RQ_NAME = {rq_name: name for name, rq_name in QUEUES.items()}


def working_time(client, name: str) -> float:
	return float(client.hget(WORKER.format(name), "total_working_time") or 0)


def summed(contributions, queue: str) -> tuple[float, float]:
	mine = [(busy, available) for _, q, busy, available in contributions if q == queue]
	return sum(b for b, _ in mine), sum(a for _, a in mine)


def test_busy_time_between_samples_is_the_growth_of_rqs_working_time(redis_client, start_worker):
	"""Between two idle moments a worker's busy seconds are exactly what RQ added to total_working_time,
	and its available seconds the time between the samples, for each queue it listens to."""
	worker = start_worker([QUEUES["default"], QUEUES["short"]])
	first_s = time.time()
	assert utilization.sample(redis_client, BY_RQ_NAME, first_s) == []  # a baseline, nothing to measure yet
	before = working_time(redis_client, worker.name)
	queue = Queue(QUEUES["default"], connection=redis_client)
	for _ in range(2):
		queue.enqueue(SLEEP, 0.7)
	wait_ended(redis_client, 2)
	second_s = time.time()
	found = utilization.sample(redis_client, BY_RQ_NAME, second_s)
	grew = working_time(redis_client, worker.name) - before
	assert grew >= 1.4
	for name in ("default", "short"):
		busy, available = summed(found, name)
		assert busy == pytest.approx(grew, abs=1e-6)
		assert available == pytest.approx(second_s - first_s, abs=1e-6)
	assert summed(found, "long") == (0, 0)


def test_a_job_running_at_a_sample_counts_its_part_in_each_interval(redis_client, start_worker):
	"""The part of a job run before a sample counts before it, the rest after: together its whole run."""
	start_worker([QUEUES["default"]])
	utilization.sample(redis_client, BY_RQ_NAME, time.time())
	job = Queue(QUEUES["default"], connection=redis_client).enqueue(SLEEP, 3)
	wait_for(lambda: Job.fetch(job.id, connection=redis_client).started_at is not None)
	time.sleep(1)
	middle_s = time.time()
	started = Job.fetch(job.id, connection=redis_client).started_at.replace(tzinfo=timezone.utc)
	before, _ = summed(utilization.sample(redis_client, BY_RQ_NAME, middle_s), "default")
	assert before == pytest.approx(middle_s - started.timestamp(), abs=1e-3)
	wait_ended(redis_client, 1)
	after, _ = summed(utilization.sample(redis_client, BY_RQ_NAME, time.time()), "default")
	job = Job.fetch(job.id, connection=redis_client)
	assert before + after == pytest.approx((job.ended_at - job.started_at).total_seconds(), abs=1e-3)


def test_a_span_is_spread_over_the_minutes_it_covers():
	"""Busy and available seconds split at minute boundaries in proportion, and add back up."""
	start = 100 * MINUTE_S + 30
	parts = list(utilization.spread(start, start + 90, 45.0))
	assert [(m, round(b, 6), a) for m, b, a in parts] == [(100, 15.0, 30), (101, 30.0, 60)]


def test_workers_as_rq_counts_them(redis_client, start_worker):
	"""Each registered worker with RQ's successful and failed job counts and working time, read as they are."""
	worker = start_worker([QUEUES["default"]])
	queue = Queue(QUEUES["default"], connection=redis_client)
	queue.enqueue(SLEEP, 0.1)
	queue.enqueue("tests.jobfuncs.fail_always", "x")
	wait_ended(redis_client, 2)
	[found] = utilization.registered(redis_client, datetime.now(timezone.utc))
	row = found.as_dict(BY_RQ_NAME)
	assert (row["name"], row["queues"], row["successful_jobs"], row["failed_jobs"]) == (
		worker.name,
		["default"],
		1,
		1,
	)
	assert row["working_time_s"] == pytest.approx(working_time(redis_client, worker.name), abs=1e-6)


def test_a_forgotten_worker_leaves_the_baselines(redis_client, start_worker):
	"""A worker no longer registered loses its baseline at the next sample: the hash holds live workers only."""
	worker = start_worker([QUEUES["default"]])
	utilization.sample(redis_client, BY_RQ_NAME, time.time())
	assert redis_client.hexists(WORKER_BASELINES, worker.name)
	worker.stop()
	wait_for(lambda: not redis_client.sismember(WORKERS, WORKER.format(worker.name)))
	utilization.sample(redis_client, BY_RQ_NAME, time.time())
	assert not redis_client.hexists(WORKER_BASELINES, worker.name)


def store_minutes(client, now_s: float, busy_ratio: float, wait_s: float | None, minutes: int = 16) -> None:
	"""Minutes of the default queue as a sample would have stored them: 100 s available a minute."""
	for minute in range(minute_of(now_s) - minutes, minute_of(now_s) + 1):
		aggregate = JobAggregate()
		aggregate.add_usage("default", 100 * busy_ratio, 100.0)
		if wait_s is not None:
			aggregate.add_job(("a.local", "app.task", "default"), 1.0, wait_s)
		client.set(MINUTE.format(minute), json.dumps(aggregate.to_json()))


def judged(client, limit_s: float | None = verdict.DEFAULT_WAIT_LIMIT_S) -> dict:
	facts = report.health_facts(client, QUEUES, time.time(), limit_s)
	return {q["queue"]: q for q in facts["queues"]}


def test_a_queue_busy_past_80_percent_for_15_minutes_gets_a_capacity_hint(redis_client, start_worker):
	"""Workers 90 % busy in each of 15 minutes (1.5 busy workers): warning, and 3 would run it at 70 %."""
	start_worker([QUEUES["default"]])
	store_minutes(redis_client, time.time(), 0.9, 1.0)
	default = judged(redis_client)["default"]
	assert default["status"] == verdict.WARNING and "busy for 15 min" in default["reason"]
	assert default["action"].startswith("Add 2 worker(s) to the default queue")
	assert judged(redis_client)["short"]["status"] == verdict.OK


def test_one_quiet_minute_means_not_busy_throughout(redis_client):
	"""A single minute under 80 % among the 15 keeps the queue ok."""
	now = time.time()
	store_minutes(redis_client, now, 0.95, None)
	quiet = JobAggregate()
	quiet.add_usage("default", 50.0, 100.0)
	redis_client.set(MINUTE.format(minute_of(now) - 7), json.dumps(quiet.to_json()))
	assert judged(redis_client)["default"]["status"] == verdict.OK


@pytest.mark.parametrize(
	("wait_s", "status"), [(20.0, verdict.OK), (40.0, verdict.WARNING), (70.0, verdict.CRITICAL)]
)
def test_the_p95_queue_wait_against_job_queue_wait(redis_client, wait_s, status):
	"""Past the threshold (30 s) warns, past twice it is critical; a disabled threshold judges no wait."""
	store_minutes(redis_client, time.time(), 0.1, wait_s)
	default = judged(redis_client)["default"]
	assert default["status"] == status
	assert (default["action"] != "") == (status != verdict.OK)
	assert judged(redis_client, None)["default"]["status"] == verdict.OK


def test_the_threshold_is_read_from_the_sites_performance_threshold(site_db):
	"""job_queue_wait's stored value and unit give the limit; disabled gives none; no row or site the default."""
	with site_db.cursor() as cur:
		assert verdict.wait_limit_s(site_db) == verdict.DEFAULT_WAIT_LIMIT_S
		cur.execute(
			"INSERT INTO `tabPerformance Threshold` (name, value, unit, enabled) VALUES ('job_queue_wait', 45000, 'ms', 1)"
		)
		assert verdict.wait_limit_s(site_db) == 45.0
		cur.execute("UPDATE `tabPerformance Threshold` SET enabled = 0")
		assert verdict.wait_limit_s(site_db) is None
	assert verdict.wait_limit_s(None) == verdict.DEFAULT_WAIT_LIMIT_S


def test_a_sample_stores_the_minutes_the_report_reads(redis_client, start_worker):
	"""After two samples around some work, the hour's queue row shows the workers' busy share."""
	start_worker([QUEUES["default"]])
	sample_now(redis_client)
	Queue(QUEUES["default"], connection=redis_client).enqueue(SLEEP, 1)
	wait_ended(redis_client, 1)
	sample_now(redis_client)
	now = time.time()
	row = next(
		q
		for q in report.window_report(redis_client, QUEUES, now - 3600, now)["queues"]
		if q["queue"] == "default"
	)
	assert row["busy_s"] >= 1.0 and 0 < row["utilization"] <= 1
	assert (row["workers"], row["busy_workers"], row["utilization_now"]) == (1, 0, 0.0)


def test_the_health_part_names_the_queue_and_its_capacity_hint(redis_client, start_worker):
	"""The jobs subsystem is the worst queue's verdict, with one check per queue and the hint as action."""
	start_worker([QUEUES["default"]])
	store_minutes(redis_client, time.time(), 0.9, 40.0)
	part = rules.jobs(report.health_facts(redis_client, QUEUES, time.time(), 30.0), Settings())
	assert part["status"] == rules.WARNING
	assert [c["check"] for c in part["checks"]] == list(QUEUES)
	# A wait of 40 s reads as the upper bound of its bucket.
	wait = Histogram.of([40.0]).percentile(95)
	assert f"p95 queue wait {wait:.1f} s over 30 s" in part["reason"] and part["action"].startswith("Add ")
