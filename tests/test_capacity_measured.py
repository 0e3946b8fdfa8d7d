"""Capacity against the real bench: table tiers, live workers, max_connections and monitor data."""

from datetime import datetime, timedelta, timezone

from perf_engine.core.capacity.bench_comparison import (
	FINE,
	OVER,
	UNDER,
	compare,
	live_workers_per_queue,
	max_connections,
)
from perf_engine.core.capacity.measured import measured_model
from perf_engine.core.capacity.model import CapacityInputs, reference_model
from perf_engine.core.capacity.recommendation import recommend
from perf_engine.core.capacity.volume_tiers import largest_tables, tier_for
from perf_engine.core.latency.monitor import MonitorWindow, parse_entry
from tests.monitor_entries import monitor_entry
from tests.services import EXACT_ROW_ESTIMATE

NOW = datetime(2026, 11, 22, 12, 0, 30, tzinfo=timezone.utc)


def test_tier_boundaries():
	"""Each tier starts exactly at its documented row count."""
	assert [
		tier_for(rows)[0]
		for rows in (0, 9_999, 10_000, 99_999, 100_000, 499_999, 500_000, 2_000_000, 2_000_001)
	] == [
		"Small",
		"Small",
		"Medium",
		"Medium",
		"Large",
		"Large",
		"Enterprise",
		"Enterprise",
		"Massive",
	]


def test_largest_tables_come_from_estimates(db, database_name):
	"""A 20k-row table ranks above a 50-row one, as Medium, read from information_schema."""
	with db.cursor() as cur:
		cur.execute(
			f"CREATE TABLE `tabSales Invoice` (name VARCHAR(140) PRIMARY KEY, customer VARCHAR(140)) {EXACT_ROW_ESTIMATE}"
		)
		cur.execute("INSERT INTO `tabSales Invoice` SELECT CONCAT('SINV-', seq), 'C' FROM seq_1_to_20000")
		cur.execute("CREATE TABLE tabNote (name VARCHAR(140) PRIMARY KEY)")
		cur.execute("INSERT INTO tabNote SELECT seq FROM seq_1_to_50")
		cur.execute("ANALYZE TABLE `tabSales Invoice`, tabNote")
	tables = largest_tables(db, database_name)
	assert [t["table"] for t in tables] == ["tabSales Invoice", "tabNote"]
	assert tables[0]["tier"] == "Medium" and 15_000 < tables[0]["rows"] < 25_000
	assert tables[1]["tier"] == "Small"
	assert "Index the fields" in tables[0]["action"]


def test_comparison_uses_live_workers_and_real_max_connections(db, redis_client, start_worker):
	"""Two live default workers, none on long and the server's max_connections get per-resource verdicts."""
	start_worker(["bench-x:default"])
	start_worker(["bench-x:default", "bench-x:short"])
	live = live_workers_per_queue(
		redis_client, {"default": "bench-x:default", "short": "bench-x:short", "long": "bench-x:long"}
	)
	assert live == {"default": 2, "short": 1, "long": 0}
	inputs = CapacityInputs(
		concurrent_users=100, transactions_per_user_per_hour=30, host_cpu_cores=4, host_memory_gb=8
	)
	advice = recommend(inputs, reference_model(inputs))
	rows = {
		r["resource"]: r
		for r in compare(advice, {"gunicorn_workers": 5, "background_workers": 1}, live, max_connections(db))
	}
	assert rows["gunicorn_workers"]["verdict"] == OVER  # 5 > 1.5 x 1
	assert rows["background_workers"]["verdict"] == UNDER  # 1 < busiest queue's 2
	assert rows["rq_workers_default"]["verdict"] == FINE
	assert rows["rq_workers_long"]["verdict"] == UNDER
	assert rows["mariadb_max_connections"]["actual"] == max_connections(db) > 0


def test_measured_model_applies_littles_law():
	"""60 requests in the busiest minute at 0.5 s each need 1/s x 0.5 s / 0.7 = 0.71 slots: one worker."""
	busy = [monitor_entry("request", NOW + timedelta(seconds=i % 30), 0.5) for i in range(60)]
	quiet = [monitor_entry("request", NOW + timedelta(minutes=5), 0.5) for _ in range(6)]
	jobs = [monitor_entry("job", NOW, 30, "erpnext.post") for _ in range(12)]
	model = measured_model(MonitorWindow.of([parse_entry(line) for line in busy + quiet + jobs], since=NOW))
	requests = model["requests"]
	assert requests["samples"] == 66 and requests["peak_rate_per_s"] == 1.0
	assert round(requests["needed_concurrency"], 3) == round(1.0 * 0.5 / 0.7, 3)
	assert model["gunicorn_workers"] == 1
	assert model["background_workers"] == 9  # 12/60 per s x 30 s / 0.7 = 8.57
	assert model["missing"] == []


def test_measured_model_says_what_is_missing():
	"""With no monitor data the measured model reports the gap instead of a number."""
	model = measured_model(MonitorWindow(since=NOW))
	assert model["gunicorn_workers"] is None and model["missing"] == ["requests", "jobs"]
