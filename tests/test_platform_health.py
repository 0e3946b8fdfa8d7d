"""Scheduler and MariaDB health: facts read from real tables and a real server, judged in core.health."""

from datetime import datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from perf_engine.core.health import mariadb as mariadb_health
from perf_engine.core.health import rules as health
from perf_engine.core.health import scheduler as scheduler_health
from perf_engine.core.health.metrics import render
from perf_engine.core.settings import Settings
from tests.services import connect_database
from tests.site_tables import NOW, insert
from tests.test_health import gather

SETTINGS = Settings()


def enable(db, value: str = "1") -> None:
	insert(db, "tabSingles", doctype="System Settings", field="enable_scheduler", value=value)


def job_type(db, method: str, frequency: str, last: datetime, cron: str | None = None) -> None:
	insert(
		db,
		"tabScheduled Job Type",
		name=method,
		method=method,
		frequency=frequency,
		cron_format=cron,
		last_execution=last,
		creation=last - timedelta(days=30),
	)


def job_log(db, name: str, method: str, status: str, at: datetime) -> None:
	insert(db, "tabScheduled Job Log", name=name, scheduled_job_type=method, status=status, modified=at)


def scheduler_part(db, conf: dict | None = None) -> dict:
	return health.scheduler(scheduler_health.read(db, NOW, conf), SETTINGS)


def checks_of(part: dict) -> dict:
	return {c["check"]: c for c in part["checks"]}


def test_scheduler_off_in_system_settings_is_critical(site_db):
	"""enable_scheduler = 0 makes the scheduler part critical, naming the switch; 1 makes it ok."""
	enable(site_db, "0")
	part = scheduler_part(site_db)
	assert part["status"] == "critical"
	assert checks_of(part)["enabled"]["reason"] == "scheduler off: System Settings: Enable Scheduler is off"
	assert "enable-scheduler" in part["action"]
	with site_db.cursor() as cur:
		cur.execute("UPDATE `tabSingles` SET value = '1'")
	assert scheduler_part(site_db)["status"] == "ok"


def test_a_site_config_switch_turns_the_scheduler_off(site_db):
	"""pause_scheduler in site_config counts even when System Settings says on."""
	enable(site_db)
	part = scheduler_part(site_db, {"pause_scheduler": 1})
	assert checks_of(part)["enabled"]["status"] == "critical"
	assert "pause_scheduler" in checks_of(part)["enabled"]["reason"]


def test_lag_of_the_oldest_due_job_warns_then_turns_critical(site_db):
	"""An "All" job 4 minutes apart is ok when it just ran, a warning 30 min late, critical 2 h late."""
	enable(site_db)
	job_type(site_db, "app.tick", "All", NOW - timedelta(minutes=1))
	assert checks_of(scheduler_part(site_db))["oldest_due_lag_s"]["status"] == "ok"
	with site_db.cursor() as cur:
		cur.execute("UPDATE `tabScheduled Job Type` SET last_execution = %s", NOW - timedelta(minutes=34))
	lag = checks_of(scheduler_part(site_db))["oldest_due_lag_s"]
	# Last run 11:26, due at 11:28 (*/4), now 12:00.
	assert (lag["status"], lag["value"]) == ("warning", 32 * 60)
	assert lag["reason"] == "app.tick due 32 min ago and not run"
	job_type(site_db, "app.hourly", "Hourly", NOW - timedelta(hours=2, minutes=30))
	lag = checks_of(scheduler_part(site_db))["oldest_due_lag_s"]
	assert (lag["status"], lag["value"]) == ("critical", 2 * 3600)


def test_next_run_follows_frappes_cron_map():
	"""Each fixed frequency lands where Frappe's cron expression puts it; Long adds the jitter; cron is None."""
	last = datetime(2026, 11, 25, 13, 37, 12)  # a Wednesday

	def run(frequency: str) -> datetime | None:
		return scheduler_health.next_run({"last_execution": last, "creation": None, "frequency": frequency})

	assert run("All") == datetime(2026, 11, 25, 13, 40)
	assert run("Hourly") == datetime(2026, 11, 25, 14, 0)
	assert run("Daily") == datetime(2026, 11, 26)
	assert run("Daily Long") == datetime(2026, 11, 26, 0, 10)
	assert run("Weekly") == datetime(2026, 11, 29)  # Sunday
	assert run("Monthly") == datetime(2026, 12, 1)
	assert run("Yearly") == datetime(2027, 1, 1)
	assert run("Cron") is None
	seven = scheduler_health.next_run(
		{"last_execution": datetime(2026, 11, 25, 13, 57), "creation": None, "frequency": "All"}, 420
	)
	assert seven == datetime(2026, 11, 25, 14, 0)


def test_a_custom_cron_job_is_counted_unread_without_a_reader(site_db):
	"""Without a cron reader a Cron job type is skipped and counted; a reader passed in judges it."""
	enable(site_db)
	job_type(site_db, "app.cron", "Cron", NOW - timedelta(hours=3), cron="0 * * * *")
	facts = scheduler_health.read(site_db, NOW, {})
	assert (facts["unread_cron_jobs"], facts["oldest_due"]) == (1, None)
	facts = scheduler_health.read(site_db, NOW, {}, next_of=lambda job: NOW - timedelta(hours=2))
	assert facts["oldest_due"]["lag_s"] == 7200


def test_failed_scheduled_jobs_warn_and_a_job_failing_every_run_is_critical(site_db):
	"""A failed run in 24 h warns; three of three failed is critical; older failures do not count."""
	enable(site_db)
	job_log(site_db, "old", "app.a", "Failed", NOW - timedelta(days=2))
	assert checks_of(scheduler_part(site_db))["failing_jobs"]["status"] == "ok"
	job_log(site_db, "a1", "app.a", "Failed", NOW - timedelta(hours=1))
	job_log(site_db, "a2", "app.a", "Complete", NOW - timedelta(hours=2))
	failing = checks_of(scheduler_part(site_db))["failing_jobs"]
	assert (failing["status"], failing["reason"]) == ("warning", "failed scheduled jobs: app.a (1/2)")
	for n in range(3):
		job_log(site_db, f"b{n}", "app.b", "Failed", NOW - timedelta(minutes=10 + n))
	failing = checks_of(scheduler_part(site_db))["failing_jobs"]
	assert failing["status"] == "critical"
	assert failing["value"] == 2


def test_mariadb_figures_are_read_from_the_live_server(db, database_name):
	"""Pool and max_connections equal the server's variables; the InnoDB size holds a loaded table;
	opened connections show in connections_used (the server is shared, so no exact deltas)."""
	with db.cursor() as cur:
		cur.execute(
			"CREATE TABLE filler (id INT PRIMARY KEY AUTO_INCREMENT, pad VARCHAR(4000)) ENGINE=InnoDB"
		)
		cur.execute("INSERT INTO filler (pad) SELECT REPEAT('x', 4000) FROM seq_1_to_2000")
		cur.execute("ANALYZE TABLE filler")
		cur.execute(
			"SELECT data_length + index_length FROM information_schema.TABLES WHERE table_schema = %s",
			database_name,
		)
		filler_bytes = int(cur.fetchone()[0])
	extra = [connect_database(database_name) for _ in range(3)]
	try:
		found = mariadb_health.read(db)
	finally:
		for conn in extra:
			conn.close()
	with db.cursor() as cur:
		cur.execute("SELECT @@innodb_buffer_pool_size, @@max_connections")
		assert cur.fetchone() == (found["buffer_pool_bytes"], found["max_connections"])
	assert filler_bytes >= 2000 * 4000
	assert found["innodb_data_bytes"] >= filler_bytes
	assert found["connections_used"] >= 4
	assert found["max_used_connections"] >= found["connections_used"]
	assert 0 <= found["buffer_pool_hit_ratio"] <= 1
	assert health.mariadb(found, SETTINGS)["checks"][0]["check"] == "buffer_pool_vs_data"


GIB = 1024**3
MIB = 1024**2
# A healthy bench of ten sites (about 2,500 tables), up ten days.
FINE = {
	"buffer_pool_bytes": 2 * GIB,
	"innodb_data_bytes": GIB,
	"buffer_pool_hit_ratio": 0.999,
	"buffer_pool_read_requests": 10**6,
	"redo_log_bytes": 512 * MIB,
	"redo_log_share": 0.25,
	"max_connections": 100,
	"connections_used": 10,
	"max_used_connections": 40,
	"connections": 10_000,
	"aborted_connects": 10,
	"aborted_connect_share": 0.001,
	"connect_timeout_s": 10,
	"log_warnings": 2,
	"slow_queries": 10,
	"questions": 10_000,
	"slow_queries_per_minute": 0.1,
	"slow_query_share": 0.001,
	"slow_query_log": True,
	"long_query_time_s": 1.0,
	"tables": 2500,
	"tables_complete": True,
	"table_open_cache": 4000,
	"open_tables": 1200,
	"table_cache_hit_ratio": 0.99,
	"table_open_cache_hits": 99_000,
	"table_open_cache_misses": 1000,
	"table_definition_cache": 3000,
	"open_table_definitions": 2500,
	"tmp_tables": 1000,
	"tmp_disk_tables": 100,
	"tmp_disk_share": 0.1,
	"tmp_table_size": 16 * MIB,
	"max_heap_table_size": 16 * MIB,
	"joins_without_indexes": 100,
	"joins_without_indexes_per_day": 10,
	"join_buffer_size": 256 * 1024,
	"uptime_s": 10 * 86400,
}
HIDDEN_TABLES = {"tables_complete": False, "tables": 300}


@pytest.mark.parametrize(
	"change, check, status",
	[
		({"buffer_pool_bytes": 512 * MIB}, "buffer_pool_vs_data", "warning"),
		({"buffer_pool_hit_ratio": 0.85}, "buffer_pool_hit_ratio", "warning"),
		({"max_used_connections": 86}, "connections", "warning"),
		({"connections_used": 96, "max_used_connections": 96}, "connections", "critical"),
		({"slow_query_share": 0.06}, "slow_queries", "warning"),
		({"table_open_cache": 2000}, "table_open_cache", "warning"),
		({"table_definition_cache": 400}, "table_definition_cache", "warning"),
		({**HIDDEN_TABLES, "open_table_definitions": 3000}, "table_definition_cache", "warning"),
		({**HIDDEN_TABLES, "open_tables": 4000}, "table_open_cache", "warning"),
		({"tmp_disk_share": 0.26}, "tmp_disk_tables", "warning"),
		({"joins_without_indexes_per_day": 251}, "joins_without_indexes", "warning"),
		({"redo_log_share": 0.19}, "redo_log_size", "warning"),
		({"aborted_connect_share": 0.031}, "aborted_connects", "warning"),
	],
)
def test_mariadb_is_judged_as_mysqltuner_judges(change, check, status):
	"""Each MySQLTuner limit turns its own check (and the part) warning or critical, with an action."""
	assert health.mariadb(FINE, SETTINGS)["status"] == "ok"
	part = health.mariadb({**FINE, **change}, SETTINGS)
	assert part["status"] == status
	assert checks_of(part)[check]["status"] == status
	assert checks_of(part)[check]["action"] and part["action"]
	assert [c["check"] for c in part["checks"] if c["status"] != "ok"] == [check]


@pytest.mark.parametrize(
	"change",
	[
		{"buffer_pool_bytes": GIB},
		{"buffer_pool_hit_ratio": 0.90},
		{"max_used_connections": 85},
		{"slow_query_share": 0.05},
		{"table_open_cache": 2500, "table_definition_cache": 2500},
		{**HIDDEN_TABLES, "open_tables": 3999, "open_table_definitions": 2999},
		{"tmp_disk_share": 0.25},
		{"joins_without_indexes_per_day": 250},
		{"redo_log_share": 0.20},
		{"redo_log_share": 0.75},
		{"aborted_connect_share": 0.03},
	],
)
def test_a_figure_at_its_limit_is_ok(change):
	"""Every limit is inclusive, as MySQLTuner's are; a redo log above MySQLTuner's 30 % is not judged."""
	assert health.mariadb({**FINE, **change}, SETTINGS)["status"] == "ok"


def test_ten_sites_outgrow_the_default_table_caches():
	"""2,500 tables (ten Frappe sites) against MariaDB's defaults, 2000 open and 400 definitions: both
	caches warn, each naming the count to set."""
	part = health.mariadb({**FINE, "table_open_cache": 2000, "table_definition_cache": 400}, SETTINGS)
	caches = checks_of(part)
	for name in ("table_open_cache", "table_definition_cache"):
		assert caches[name]["status"] == "warning"
		assert (caches[name]["limit"], caches[name]["unit"]) == (2500, "tables")
		assert f"SET GLOBAL {name} = 2500" in caches[name]["action"]


@pytest.mark.parametrize(
	"figure, check, reason",
	[
		("buffer_pool_hit_ratio", "buffer_pool_hit_ratio", "no InnoDB reads yet"),
		("tmp_disk_share", "tmp_disk_tables", "no temporary tables yet"),
		("redo_log_share", "redo_log_size", "redo log 512 MiB, no buffer pool"),
	],
)
def test_a_figure_without_traffic_is_ok_and_said(figure, check, reason):
	"""A ratio with nothing under it (no reads, no temporary tables) is ok with the reason, never a guess."""
	judged = checks_of(health.mariadb({**FINE, figure: None}, SETTINGS))[check]
	assert (judged["status"], judged["value"], judged["reason"]) == ("ok", None, reason)


def test_health_and_metrics_carry_scheduler_and_mariadb(site_db, redis_client):
	"""collect() judges both parts and the metrics expose their gauges (the table caches, the counters since
	start, the redo log) beside perf_engine_health."""
	enable(site_db, "0")
	found = gather(site_db, redis_client)
	assert found["health"]["subsystems"]["scheduler"]["status"] == "critical"
	assert found["health"]["subsystems"]["mariadb"]["status"] in ("ok", "warning", "critical")
	families = {f.name: f for f in text_string_to_metric_families(render(found).decode())}
	assert families["perf_engine_scheduler_enabled"].samples[0].value == 0
	assert (
		families["perf_engine_mariadb_buffer_pool_bytes"].samples[0].value
		== found["mariadb"]["buffer_pool_bytes"]
	)
	states = {s.labels["state"] for s in families["perf_engine_mariadb_connections"].samples}
	assert states == {"used", "max_used", "max"}
	caches = {
		(s.labels["cache"], s.labels["state"]): s.value
		for s in families["perf_engine_mariadb_table_cache"].samples
	}
	assert caches[("definition", "size")] == found["mariadb"]["table_definition_cache"]
	assert caches.keys() == {(c, s) for c in ("open", "definition") for s in ("size", "in_use")}
	events = {s.labels["event"] for s in families["perf_engine_mariadb_events_since_start"].samples}
	assert events == {
		"tmp_tables",
		"tmp_disk_tables",
		"joins_without_indexes",
		"connections",
		"aborted_connects",
	}
	assert (
		families["perf_engine_mariadb_redo_log_bytes"].samples[0].value == found["mariadb"]["redo_log_bytes"]
	)
	healths = {s.labels["subsystem"]: s.value for s in families["perf_engine_health"].samples}
	assert healths["scheduler"] == 2


def test_a_broken_scheduler_read_leaves_mariadb_and_the_rest_judged(site_db, redis_client):
	"""Without the job tables the scheduler part is unknown with the error; MariaDB still answers."""
	with site_db.cursor() as cur:
		cur.execute("DROP TABLE `tabScheduled Job Type`")
	parts = gather(site_db, redis_client)["health"]["subsystems"]
	assert parts["scheduler"]["status"] == "unknown"
	assert "Scheduled Job Type" in parts["scheduler"]["reason"]
	assert parts["mariadb"]["status"] != "unknown"
	assert parts["stalls"]["status"] == "ok"
