"""The job statistics window: minutes from Redis, older intervals from the site's snapshots, the view's
rows, the span asked for, and what the metrics and the CLI serve."""

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perf_engine.cli import main
from perf_engine.core.errors import InvalidInput
from perf_engine.core.health.metrics import render
from perf_engine.core.jobstats import report, snapshots, window
from perf_engine.core.jobstats.aggregate import JobAggregate
from perf_engine.core.jobstats.failures import Failure
from perf_engine.core.jobstats.keys import MINUTE, MINUTE_S, RETAIN_MINUTES, minute_of
from perf_engine.core.jobstats.minutes import Span
from tests.jobstats_helpers import QUEUES

SNAPSHOT_DDL = "CREATE TABLE `tabPerf Snapshot` (name VARCHAR(140) PRIMARY KEY, taken_at DATETIME(6), job_stats LONGTEXT)"


def minute_of_jobs(site: str, method: str, runs: int, failures: int = 0) -> JobAggregate:
	found = JobAggregate()
	for n in range(runs):
		failure = Failure("ValueError", "bad") if n < failures else None
		found.add_job((site, method, "default"), 1.0, 0.5, failure, 1_800_000_000.0)
	return found


def store_minute(client, minute: int, aggregate: JobAggregate) -> None:
	client.set(MINUTE.format(minute), json.dumps(aggregate.to_json()))


def test_a_window_past_two_hours_adds_the_snapshots_and_counts_no_minute_twice(redis_client, db):
	"""Stored intervals cover what Redis no longer keeps; Redis's minutes start where the last one ended."""
	now_s = time.time()
	now_min = minute_of(now_s)
	with db.cursor() as cur:
		cur.execute(SNAPSHOT_DDL)
		for n, start in enumerate(range(now_min - 300, now_min - 100, 60)):
			stored = snapshots.to_json(start, start + 60, minute_of_jobs("a.local", "app.hourly", 10))
			taken = datetime.now() - timedelta(minutes=now_min - start - 60)
			cur.execute("INSERT INTO `tabPerf Snapshot` VALUES (%s, %s, %s)", (f"s{n}", taken, stored))
		cur.execute("INSERT INTO `tabPerf Snapshot` VALUES ('bad', NOW(), '{not json')")
	for minute in range(now_min - RETAIN_MINUTES + 1, now_min + 1):
		store_minute(redis_client, minute, minute_of_jobs("a.local", "app.minutely", 1))
	since_s = now_s - 6 * 3600
	stored = snapshots.stored_spans(db, minute_of(since_s), datetime.now(timezone.utc))
	assert [s.end - s.start for s in stored] == [60, 60, 60, 60]
	found = report.window_report(redis_client, QUEUES, since_s, now_s, site="a.local", stored=stored)
	rows = {r["method"]: r["runs"] for r in found["methods"]}
	# The last stored interval ends at now - 60; Redis's minutes from there on.
	assert rows == {"app.hourly": 40, "app.minutely": 61}
	assert found["covered_from"] == report.iso((now_min - 300) * MINUTE_S)


def test_a_snapshot_interval_keeps_one_sites_minutes():
	"""A snapshot stores the minutes [start, end) of its own site's jobs, every queue's usage, and reads back."""
	spans = []
	for minute in range(10, 14):
		aggregate = minute_of_jobs("a.local", "m", 2)
		aggregate.merge(minute_of_jobs("b.local", "m", 5))
		aggregate.add_usage("default", 30.0, 60.0)
		spans.append(Span.of(minute, minute + 1, aggregate))
	stored = snapshots.from_json(snapshots.to_json(11, 13, snapshots.interval(spans, "a.local", 11, 13)))
	assert (stored.start, stored.end) == (11, 13)
	assert {k: c.runs for k, c in stored.aggregate().methods.items()} == {("a.local", "m", "default"): 4}
	assert stored.aggregate().usage == {"default": [60.0, 120.0]}


@pytest.mark.parametrize(
	"raw", ["", "[]", '{"from": 5, "until": 5}', '{"from": 1.5, "until": 3}', '{"until": 3}']
)
def test_an_unreadable_snapshot_interval_is_refused(raw):
	"""Not JSON, no interval, an empty or fractional one: InvalidInput (the reader skips it)."""
	with pytest.raises(InvalidInput):
		snapshots.from_json(raw)


@given(st.text(max_size=200))
def test_any_stored_snapshot_text_is_read_or_refused(raw):
	"""Whatever a snapshot's job_stats column holds, reading it gives a span or InvalidInput."""
	try:
		span = snapshots.from_json(raw)
	except InvalidInput:
		return
	assert span.start < span.end


def test_a_site_without_the_snapshot_column_has_no_stored_intervals(db):
	"""A database without perf_engine's table or its job_stats column answers nothing, not an error."""
	assert snapshots.stored_spans(db, 0, datetime.now(timezone.utc)) == []
	assert snapshots.last_end(db) is None
	with db.cursor() as cur:
		cur.execute("CREATE TABLE `tabPerf Snapshot` (name VARCHAR(140) PRIMARY KEY, taken_at DATETIME(6))")
	assert snapshots.stored_spans(db, 0, datetime.now(timezone.utc)) == []


def test_the_top_methods_then_one_other_row(redis_client):
	"""Past `top` methods the rest (and what storage already summed as other) add up in one "other" row."""
	aggregate = JobAggregate()
	for n, runs in enumerate((9, 7, 5, 3, 1)):
		aggregate.merge(minute_of_jobs("a.local", f"m{n}", runs, failures=1))
	store_minute(redis_client, minute_of(time.time()), aggregate)
	now = time.time()
	rows = report.window_report(redis_client, QUEUES, now - 600, now, top=2)["methods"]
	assert [(r["method"], r["runs"], r["failures"]) for r in rows] == [
		("m0", 9, 1),
		("m1", 7, 1),
		("other", 9, 3),
	]
	assert rows[-1]["success_rate"] == round(6 / 9, 4)


def test_every_sites_jobs_merge_per_method_and_one_sites_view_keeps_its_own(redis_client):
	"""Without a site a method's row sums every site's jobs and names them; with one, only its jobs."""
	aggregate = minute_of_jobs("a.local", "m", 2)
	aggregate.merge(minute_of_jobs("b.local", "m", 3, failures=3))
	store_minute(redis_client, minute_of(time.time()), aggregate)
	now = time.time()
	every = report.window_report(redis_client, QUEUES, now - 600, now)
	assert [(r["runs"], r["sites"]) for r in every["methods"]] == [(5, ["a.local", "b.local"])]
	mine = report.window_report(redis_client, QUEUES, now - 600, now, site="a.local")
	assert [(r["runs"], r["failures"]) for r in mine["methods"]] == [(2, 0)] and mine["failures"] == []


NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
	("text", "back"),
	[
		(None, timedelta(hours=1)),
		("", timedelta(hours=1)),
		("hour", timedelta(hours=1)),
		("DAY", timedelta(days=1)),
		("week", timedelta(days=7)),
		("15m", timedelta(minutes=15)),
		("6h", timedelta(hours=6)),
		("2d", timedelta(days=2)),
		("2026-11-23T10:30:00+00:00", timedelta(minutes=90)),
	],
)
def test_the_span_asked_for(text, back):
	"""None means the last hour; names, durations and ISO date-times give the start."""
	assert window.since_of(text, timezone.utc, NOW) == NOW - back


@pytest.mark.parametrize("text", ["yesterday", "8d", "2026-11-23T13:00", "0x10", "2026-11-01"])
def test_a_span_that_cannot_be_read_is_refused(text):
	"""Unreadable text, a moment in the future, or more than a week back: InvalidInput with the forms accepted."""
	with pytest.raises(InvalidInput):
		window.since_of(text, timezone.utc, NOW)


@given(st.text(max_size=40))
def test_any_span_text_is_read_or_refused(text):
	"""The span reader gives a start within the week before now, or InvalidInput: never another error."""
	try:
		since = window.since_of(text, timezone.utc, NOW)
	except InvalidInput:
		return
	assert NOW - timedelta(days=7) <= since <= NOW


def test_metrics_serve_queue_utilization_and_wait_and_the_top_methods(redis_client):
	"""Per queue utilization (window and now) and wait quantiles; per method runs, failures and quantiles."""
	aggregate = minute_of_jobs("a.local", "m0", 4, failures=1)
	aggregate.add_usage("default", 45.0, 60.0)
	store_minute(redis_client, minute_of(time.time()), aggregate)
	now = time.time()
	text = render({"job_stats": report.window_report(redis_client, QUEUES, now - 600, now)}).decode()
	assert 'perf_engine_job_queue_utilization_ratio{period="window",queue="default"} 0.75' in text
	assert 'perf_engine_job_queue_wait_seconds{quantile="0.95",queue="default"}' in text
	assert 'perf_engine_job_runs{method="m0"} 4.0' in text
	assert 'perf_engine_job_failures{method="m0"} 1.0' in text
	assert 'perf_engine_job_run_seconds{method="m0",quantile="0.99"}' in text


def cli(redis_db, *args: str) -> list[str]:
	return ["--redis-cache-url", redis_db.url, "--redis-queue-url", redis_db.url, *args]


def test_the_cli_answers_the_issues_json_shape_and_refuses_a_bad_span(redis_db, redis_client, capsys):
	"""`perf-engine --json jobs stats` answers methods, failures, queues and workers; a bad --since exits 2."""
	aggregate = minute_of_jobs("a.local", "app.task", 3, failures=1)
	store_minute(redis_client, minute_of(time.time()), aggregate)
	assert main(cli(redis_db, "--json", "jobs", "stats", "--since", "30m")) == 0
	found = json.loads(capsys.readouterr().out)
	assert {"methods", "failures", "queues", "workers"} <= set(found)
	[row] = found["methods"]
	assert {k: row[k] for k in ("method", "runs", "failures", "success_rate")} == {
		"method": "app.task",
		"runs": 3,
		"failures": 1,
		"success_rate": 0.6667,
	}
	assert {"run_p95_s", "wait_p95_s", "queues"} <= set(row)
	assert {q["queue"] for q in found["queues"]} == {"default", "short", "long"}
	assert main(cli(redis_db, "jobs", "stats")) == 0
	assert "app.task" in capsys.readouterr().out
	assert main(cli(redis_db, "jobs", "stats", "--since", "tomorrow")) == 2
	err = capsys.readouterr().err
	assert len(err.strip().splitlines()) == 1 and "tomorrow" in err
