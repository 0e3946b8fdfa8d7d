"""SLA percentiles: exact over a window, exact to a bucket over stored snapshots, in Prometheus."""

import json
import math
import random
from datetime import datetime, timedelta, timezone

from perf_engine.core.health.metrics import render
from perf_engine.core.latency import sla
from perf_engine.core.latency.histogram import BOUNDS_S, Histogram
from perf_engine.core.latency.monitor import MonitorWindow, Transaction
from perf_engine.core.latency.work_kinds import FORM, JOB, LIST_VIEW, REPORT, REQUEST, endpoint_of, kind_of

AT = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
SNAPSHOT_DDL = "CREATE TABLE `tabPerf Snapshot` (name VARCHAR(140) PRIMARY KEY, taken_at DATETIME(6), sla_histograms LONGTEXT)"


def nearest_rank(values: list[float], pct: float) -> float:
	"""The textbook definition, written independently of the code under test."""
	ordered = sorted(values)
	return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1]


def traffic(seed: int = 7) -> list[Transaction]:
	rng = random.Random(seed)
	paths = [
		("request", "/api/method/frappe.desk.reportview.get"),
		("request", "/api/method/frappe.desk.reportview.get_count"),
		("request", "/api/method/frappe.desk.form.load.getdoc"),
		("request", "/api/method/frappe.desk.query_report.run"),
		("request", "/api/resource/Sales Invoice/SINV-0001"),
		("request", "/app/todo"),
		("job", "frappe.core.doctype.prepared_report.prepared_report.generate_report"),
		("job", "frappe.email.queue.flush"),
	]
	return [
		Transaction(kind, name, AT + timedelta(seconds=i), rng.lognormvariate(-2, 1.2), uuid=f"s::{i}")
		for i, (kind, name) in enumerate(rng.choice(paths) for _ in range(3000))
	]


def test_frappe_endpoints_are_filed_under_their_kind_of_work():
	"""List, count, form, report paths (v1 and v2), prepared-report jobs and REST documents are classified."""
	assert kind_of("request", "/api/method/frappe.desk.reportview.get") == LIST_VIEW
	assert kind_of("request", "/api/v2/method/frappe.client.get_list") == LIST_VIEW
	assert kind_of("request", "/api/method/frappe.desk.reportview.get_count") == LIST_VIEW
	assert kind_of("request", "/api/method/frappe.desk.form.load.getdoc") == FORM
	assert kind_of("request", "/api/method/frappe.desk.query_report.run") == REPORT
	assert kind_of("request", "/api/method/frappe.desk.query_report.run.evil") == REQUEST
	assert kind_of("job", "frappe.core.doctype.prepared_report.prepared_report.generate_report") == REPORT
	assert kind_of("job", "frappe.email.queue.flush") == JOB
	assert endpoint_of("/api/resource/Sales Invoice/SINV-0001") == "/api/resource/Sales Invoice/<name>"
	assert len(endpoint_of("/x" * 500)) <= 140


def test_window_percentiles_are_exact_nearest_rank_per_kind_and_endpoint():
	"""Each kind's and top endpoint's p50/p95/p99 equal the nearest rank of its own raw durations."""
	entries = traffic()
	window = MonitorWindow.of(entries, since=AT)
	figures = sla.window_figures(window)
	for kind, row in figures["kinds"].items():
		own = [t.duration_s for t in entries if kind_of(t.kind, t.name) == kind]
		assert row["count"] == len(own)
		for pct in (50, 95, 99):
			assert row[f"p{pct}_s"] == round(nearest_rank(own, pct), 6), (kind, pct)
	top = figures["endpoints"][0]
	own = [t.duration_s for t in entries if endpoint_of(t.name) == top["endpoint"]]
	assert top["p95_s"] == round(nearest_rank(own, 95), 6)
	assert [r["total_s"] for r in figures["endpoints"]] == sorted(
		(r["total_s"] for r in figures["endpoints"]), reverse=True
	)


def test_a_bucket_percentile_is_never_below_the_true_one_and_at_most_one_bucket_above():
	"""Bucketed p50/p95/p99 of random data lie in [true, true * 2^(1/4)]."""
	rng = random.Random(3)
	for _ in range(50):
		values = [
			rng.lognormvariate(rng.uniform(-6, 3), rng.uniform(0.1, 2)) for _ in range(rng.randint(1, 500))
		]
		histogram = Histogram.of(values)
		for pct in (50, 95, 99):
			true = nearest_rank(values, pct)
			assert true <= histogram.percentile(pct) <= max(true * 2**0.25 * (1 + 1e-9), BOUNDS_S[0])


def test_summed_histograms_equal_the_histogram_of_all_samples():
	"""Merging interval histograms gives exactly the buckets of the concatenated samples."""
	rng = random.Random(5)
	parts = [[rng.expovariate(3) for _ in range(rng.randint(0, 200))] for _ in range(12)]
	merged = Histogram()
	for part in parts:
		merged.merge(Histogram.from_json(json.loads(json.dumps(Histogram.of(part).to_json()))))
	whole = Histogram.of(v for part in parts for v in part)
	assert merged.counts == whole.counts and merged.count == whole.count
	assert math.isclose(merged.sum_s, whole.sum_s)


def test_day_and_week_come_from_stored_snapshots_in_pages(db, monkeypatch):
	"""Snapshots older than a day count for the week only, older than a week for neither; a bad row is
	skipped; counts are exact and each percentile within one bucket above the raw entries' own."""
	monkeypatch.setattr(sla, "SNAPSHOT_PAGE", 3)
	now = datetime(2026, 11, 23, 12, 0)
	entries = traffic()
	rows, included = [], {"day": [], "week": []}
	for i, age_h in enumerate([1, 2, 5, 20, 30, 50, 100, 150, 200]):
		chunk = entries[i * 300 : (i + 1) * 300]
		rows.append(
			(
				f"s{i}",
				now - timedelta(hours=age_h),
				json.dumps(sla.window_histograms(MonitorWindow.of(chunk, since=AT))),
			)
		)
		for period, hours in (("day", 24), ("week", 168)):
			if age_h <= hours:
				included[period] += chunk
	rows.append(("bad", now - timedelta(hours=3), '{"kinds": {"job": {"c": {"999": 1}, "n": 1, "s": 1}}}'))
	rows.append(
		("long", now - timedelta(hours=3), json.dumps({"kinds": {"job": {"c": [1] * 200, "n": 200, "s": 1}}}))
	)
	rows.append(("half", now - timedelta(hours=3), '{"kinds": {"job": {"c": [0.5, 0.5], "n": 1, "s": 1}}}'))
	with db.cursor() as cur:
		cur.execute(SNAPSHOT_DDL)
		cur.executemany("INSERT INTO `tabPerf Snapshot` VALUES (%s, %s, %s)", rows)
	periods = sla.stored_periods(db, now)
	assert periods["day"]["snapshots"] == 4 and periods["week"]["snapshots"] == 8
	for period, chunk in included.items():
		for kind, row in periods[period]["kinds"].items():
			own = [t.duration_s for t in chunk if kind_of(t.kind, t.name) == kind]
			assert row["count"] == len(own), (period, kind)
			for pct in (50, 95, 99):
				true = nearest_rank(own, pct)
				assert true <= row[f"p{pct}_s"] <= round(true * 2**0.25, 6) + 1e-6, (period, kind, pct)


def test_prometheus_exposes_sla_gauges_and_a_window_gauge_histogram():
	"""The rendered text has per-period quantile gauges and cumulative window buckets ending at the count."""
	window = MonitorWindow.of(traffic(), since=AT)
	report = {
		"window": sla.window_figures(window),
		"day": {"kinds": {}, "endpoints": []},
		"week": {"kinds": {}, "endpoints": []},
		"window_histograms": {k: Histogram.of(v).to_json() for k, v in window.work.items()},
	}
	text = render({"sla": report}).decode()
	forms = report["window"]["kinds"][FORM]
	assert f'perf_engine_sla_seconds{{kind="form",period="window",quantile="0.95"}} {forms["p95_s"]}' in text
	assert f'perf_engine_sla_count{{kind="form",period="window"}} {float(forms["count"])}' in text
	assert (
		f'perf_engine_work_duration_seconds_bucket{{kind="form",le="+Inf"}} {float(forms["count"])}' in text
	)
	assert "# TYPE perf_engine_work_duration_seconds histogram" in text
	assert f'perf_engine_work_duration_seconds_gcount{{kind="form"}} {float(forms["count"])}' in text


def test_a_site_without_stored_snapshots_has_empty_day_and_week(db):
	"""No Perf Snapshot table (perf_engine not installed there): day and week are empty, not an error."""
	periods = sla.stored_periods(db, datetime(2026, 11, 23, 12, 0))
	assert periods["day"] == {"kinds": {}, "endpoints": [], "snapshots": 0} == periods["week"]


def test_the_cli_shows_one_sites_window_and_refuses_without_a_site(tmp_path, database_name, redis_db, db):
	"""`perf-engine sla --json` counts the site's own monitor entries; without --site it is bad input (2)."""
	from tests.monitor_entries import monitor_entry
	from tests.test_cli_failures import BAD_INPUT, OK, SITE, fake_bench, perf_engine, site_config

	now = datetime.now(timezone.utc)
	with db.cursor() as cur:
		cur.execute(SNAPSHOT_DDL)
	paths = ["/api/method/frappe.desk.form.load.getdoc"] * 3 + ["/api/method/frappe.desk.reportview.get"] * 5
	entries = [
		monitor_entry("request", now - timedelta(seconds=30), 0.1 * (i + 1), p, SITE)
		for i, p in enumerate(paths)
	]
	redis_db.client.rpush(f"{database_name}|monitor-transactions", *entries)
	bench = fake_bench(tmp_path, redis_db.url, site_config(database_name))
	result = perf_engine("--bench", bench, "--site", SITE, "--json", "sla")
	assert result.returncode == OK, result.stderr
	window = json.loads(result.stdout)["window"]["kinds"]
	assert window["form"]["count"] == 3 and window["form"]["p50_s"] == 0.2
	assert window["list_view"]["count"] == 5 and window["list_view"]["p95_s"] == 0.8
	text = perf_engine("--bench", bench, "--site", SITE, "sla", "--period", "window")
	assert text.returncode == OK and "list_view" in text.stdout and "800.0" in text.stdout
	refused = perf_engine("sla")
	assert refused.returncode == BAD_INPUT and "--bench and --site" in refused.stderr
