"""Health is judged once, in the core, from structured counts; CLI metrics carry it like the API."""

import json
from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families
from rq import Queue

from perf_engine.cli import main
from perf_engine.core.health import figures
from perf_engine.core.health import rules as health
from perf_engine.core.health.figures import collect
from perf_engine.core.settings import DOCTYPE, Settings
from tests.services import mariadb_settings
from tests.site_tables import NOW, insert


def gather(db, redis_client) -> dict:
	return collect(
		queue=redis_client,
		queue_names={"default": "default"},
		cache=redis_client,
		settings=Settings(),
		now=NOW,
		db=db,
	)


def test_an_empty_site_warns_about_missing_analysis_and_model(site_db, redis_client):
	"""No analysis and no capacity model yet are warnings; no stall and no violation are ok."""
	parts = gather(site_db, redis_client)["health"]["subsystems"]
	assert set(parts) == set(health.SUBSYSTEMS)
	assert parts["stalls"]["status"] == parts["thresholds"]["status"] == "ok"
	assert parts["indexes"]["reason"] == "no index analysis yet"
	assert parts["capacity"]["reason"] == "no capacity model yet"


def test_health_is_decided_from_counts_not_messages(site_db, redis_client):
	"""A stall that stops is critical, old violations do not count, unmeasured thresholds warn by count."""
	insert(site_db, "tabStalled Job", name="s1", status="Open", action="warn")
	insert(site_db, "tabStalled Job", name="s2", status="Open", action="stop")
	insert(site_db, "tabStalled Job", name="s3", status="Resolved", action="stop")
	insert(
		site_db, "tabThreshold Violation", name="v1", severity="WARNING", measured_at=NOW - timedelta(days=2)
	)
	insert(site_db, "tabSingles", doctype=DOCTYPE, field="last_threshold_unmeasured", value="3")
	found = gather(site_db, redis_client)
	assert found["counts"]["open_stalls_by_action"] == {"warn": 1, "stop": 1}
	parts = found["health"]["subsystems"]
	assert (parts["stalls"]["status"], parts["stalls"]["reason"]) == ("critical", "2 open stalled job(s)")
	assert parts["thresholds"] == health.part(
		"warning",
		"3 threshold(s) could not be measured",
		health.UNMEASURED_ACTION,
	)
	insert(
		site_db,
		"tabThreshold Violation",
		name="v2",
		severity="CRITICAL",
		measured_at=NOW - timedelta(hours=1),
	)
	assert gather(site_db, redis_client)["health"]["subsystems"]["thresholds"]["status"] == "critical"


def test_capacity_verdict_comes_from_the_stored_comparison_rows(site_db, redis_client):
	"""An under-provisioned row in the latest model is critical; an over-provisioned one a warning."""
	rows = [
		{"resource": "gunicorn_workers", "verdict": "fine"},
		{"resource": "rq_workers_long", "verdict": "under-provisioned"},
	]
	insert(site_db, "tabCapacity Model", name="old", computed_at=NOW - timedelta(days=1), result_json="{}")
	insert(
		site_db,
		"tabCapacity Model",
		name="now",
		computed_at=NOW,
		result_json=json.dumps({"comparison": {"rows": rows}}),
	)
	part = gather(site_db, redis_client)["health"]["subsystems"]["capacity"]
	assert part["status"] == "critical"
	assert part["reason"] == "now: under-provisioned: rq_workers_long"
	rows[1]["verdict"] = "over-provisioned"
	with site_db.cursor() as cur:
		cur.execute(
			"UPDATE `tabCapacity Model` SET result_json = %s WHERE name = 'now'",
			json.dumps({"comparison": {"rows": rows}}),
		)
	assert gather(site_db, redis_client)["health"]["subsystems"]["capacity"]["status"] == "warning"


def test_without_a_site_database_the_history_parts_are_unknown(redis_client):
	"""Queues and Redis are judged; the parts fed by the site's records say why they are unknown."""
	found = gather(None, redis_client)
	parts = found["health"]["subsystems"]
	assert parts["queues"]["status"] == "ok"
	for name in ("stalls", "indexes", "thresholds", "capacity"):
		assert parts[name]["status"] == "unknown"
		assert "no site database" in parts[name]["reason"]


def test_cli_metrics_carry_health_and_counts_with_a_site(
	site_db, database_name, redis_db, monkeypatch, capsys
):
	"""`perf-engine metrics` with a site database prints the history gauges and perf_engine_health."""
	db = mariadb_settings()
	for name in ("db_host", "db_port", "db_user", "db_password"):
		monkeypatch.setenv(f"PERF_ENGINE_{name.upper()}", str(getattr(db, name)))
	monkeypatch.setenv("PERF_ENGINE_DB_NAME", database_name)
	insert(site_db, "tabStalled Job", name="s1", status="Open", action="warn")
	code = main(["--redis-cache-url", redis_db.url, "--redis-queue-url", redis_db.url, "metrics"])
	families = {f.name: f for f in text_string_to_metric_families(capsys.readouterr().out)}
	assert code == 0
	assert families["perf_engine_stalled_jobs_open"].samples[0].value == 1
	statuses = {s.labels["subsystem"]: s.value for s in families["perf_engine_health"].samples}
	assert set(statuses) == set(health.SUBSYSTEMS)
	assert statuses["stalls"] == 1  # warning


def test_totals_sum_the_figures_and_leave_failed_parts_empty(site_db, redis_client):
	"""Cards and snapshots read one set of totals; a part that failed is None, never a false 0."""
	insert(site_db, "tabThreshold Violation", name="v1", severity="WARNING", measured_at=NOW)
	insert(site_db, "tabThreshold Violation", name="v2", severity="CRITICAL", measured_at=NOW)
	Queue("default", connection=redis_client).enqueue("tests.jobfuncs.add", 1, 2)
	found = gather(site_db, redis_client)
	totals = figures.totals(found)
	redis_part = {name: totals.pop(name) for name in ("redis_used_mb", "redis_used_percent")}
	assert totals == {
		"queued_jobs": 1,
		"busy_workers": 0,
		"live_workers": 0,
		"open_stalls": 0,
		"violations_24h": 2,
		"open_high_indexes": 0,
	}
	assert redis_part["redis_used_mb"] > 0
	without_site = gather(None, redis_client)
	assert figures.totals(without_site)["violations_24h"] is None
