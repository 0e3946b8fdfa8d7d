"""Gather the facts the readiness checklist judges, each on its own, from connections handed in.

Facts: the latest Capacity Model, the bench config and this host's cores, live RQ workers
per queue, both Redis servers' limits, policies and hit rate (one INFO each), tables above
50,000 rows and open HIGH index findings, slow requests from the monitor, unbounded list
queries in the workload, the scheduler and the stall check's Scheduled Job Type, MariaDB's
connections, and recent Load Test Runs (when that DocType exists). Every read is bounded
(LIMITs, one INFO, the monitor's pages); a fact that fails is {"error": ...} and fails its
own line only. The site services and `perf-engine readiness` both call `gather`.
"""

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import pymysql
import redis

from perf_engine.core.capacity import bench_comparison
from perf_engine.core.capacity.volume_tiers import largest_tables
from perf_engine.core.checks import run_check
from perf_engine.core.health import mariadb as mariadb_health
from perf_engine.core.health import scheduler as scheduler_health
from perf_engine.core.health.readiness import BIG_TABLE_ROWS, LOAD_TEST_MULTIPLIER, is_error
from perf_engine.core.latency import slow_requests
from perf_engine.core.query import unbounded as unbounded_queries
from perf_engine.core.redis.memory import memory_status
from perf_engine.core.settings import Settings

# The stalled-job check runs inside perf_engine's tick, Frappe's "All" event (every `scheduler_interval`).
TICK_METHOD = "perf_engine.tasks.tick.run_due"
DEFAULT_TICK_S = 240
LOAD_TEST_DOCTYPE = "Load Test Run"
TABLES_READ = 200
FINDINGS_READ = 50
RUNS_READ = 10
MODEL_SQL = """
	SELECT name, computed_at, concurrent_users, peak_multiplier, result_json
	FROM `tabCapacity Model` ORDER BY computed_at DESC LIMIT 1
"""
FINDINGS_SQL = """
	SELECT table_name, columns FROM `tabIndex Recommendation`
	WHERE status = 'Open' AND priority = 'HIGH' ORDER BY total_time_s DESC LIMIT %s
"""
ANALYSED_SQL = "SELECT EXISTS (SELECT 1 FROM `tabIndex Recommendation`)"
STALL_SQL = "SELECT stopped, last_execution FROM `tabScheduled Job Type` WHERE method = %s LIMIT 1"
DOCTYPE_SQL = "SELECT 1 FROM `tabDocType` WHERE name = %s"
RUNS_SQL = """
	(SELECT name, started_at, peak_multiplier, sla_verdict, capacity_model FROM `tabLoad Test Run`
	WHERE sla_verdict = 'Pass' AND peak_multiplier >= %s ORDER BY started_at DESC LIMIT 1)
	UNION
	(SELECT name, started_at, peak_multiplier, sla_verdict, capacity_model FROM `tabLoad Test Run`
	ORDER BY started_at DESC LIMIT %s)
	ORDER BY started_at DESC
"""


@dataclass(frozen=True)
class Sources:
	"""Where the facts come from: the site's database and schema, both Redis, the bench and its site."""

	db: pymysql.Connection
	schema: str
	cache: redis.Redis
	queue: redis.Redis
	queue_names: dict[str, str]
	bench_config: Mapping
	site_conf: Mapping
	cache_prefix: str
	monitor_log: str | None
	site: str | None
	next_of: scheduler_health.NextRun | None = None


def rows(conn: pymysql.Connection, sql: str, params: tuple = ()) -> list[dict]:
	with conn.cursor(pymysql.cursors.DictCursor) as cur:
		cur.execute(sql, params)
		return list(cur.fetchall())


def latest_model(conn: pymysql.Connection) -> dict | None:
	"""The newest Capacity Model with the recommendation it stored; None when there is none."""
	found = rows(conn, MODEL_SQL)
	if not found:
		return None
	model = found[0]
	advice = json.loads(model.pop("result_json") or "{}").get("recommendation") or {}
	return {
		**model,
		"concurrent_users": float(model["concurrent_users"] or 0),
		"peak_multiplier": float(model["peak_multiplier"] or 0),
		"gunicorn": advice["gunicorn_workers"],
		"background": {queue: advice["background"][queue] for queue in ("default", "short", "long")},
		"db_pool": advice["db_pool"],
	}


def index_facts(conn: pymysql.Connection, schema: str) -> dict:
	big = [t for t in largest_tables(conn, schema, TABLES_READ) if t["rows"] > BIG_TABLE_ROWS]
	findings = [
		{"table": r["table_name"], "columns": r["columns"]}
		for r in rows(conn, FINDINGS_SQL, (FINDINGS_READ,))
	]
	analysed = bool(rows(conn, ANALYSED_SQL)[0].popitem()[1])
	return {"big_tables": big, "high_findings": findings, "index_analysed": analysed}


def stall_check(conn: pymysql.Connection, settings: Settings, tick_s: float) -> dict | None:
	"""The tick's job type; the check runs every `stall_check_minutes`, but no more often than the tick."""
	found = rows(conn, STALL_SQL, (TICK_METHOD,))
	if not found:
		return None
	return {**found[0], "interval_minutes": max(settings.stall_check_minutes, tick_s / 60)}


def tick_seconds(sources: Sources) -> float:
	"""Frappe's `scheduler_interval`: the site's config over the bench's, else Frappe's default."""
	return float(
		sources.site_conf.get("scheduler_interval")
		or sources.bench_config.get("scheduler_interval")
		or DEFAULT_TICK_S
	)


def load_test_runs(conn: pymysql.Connection, multiplier: float) -> list[dict] | None:
	"""The latest passed run at `multiplier` x peak and the latest runs; None when the DocType is not installed."""
	if not rows(conn, DOCTYPE_SQL, (LOAD_TEST_DOCTYPE,)):
		return None
	return [
		{**run, "peak_multiplier": float(run["peak_multiplier"] or 0)}
		for run in rows(conn, RUNS_SQL, (multiplier, RUNS_READ))
	]


def gather(
	sources: Sources, settings: Settings, now: datetime, requests_since: datetime | None = None
) -> dict:
	"""Every fact the checklist needs; `now` is the site's wall-clock time, `requests_since` (UTC) narrows
	the slow requests to those after it."""
	db = sources.db
	readers: dict[str, Callable[[], object]] = {
		"model": lambda: latest_model(db),
		"live_workers": lambda: bench_comparison.live_workers_per_queue(sources.queue, sources.queue_names),
		"cache_redis": lambda: memory_status(sources.cache),
		"queue_redis": lambda: memory_status(sources.queue),
		"indexes": lambda: index_facts(db, sources.schema),
		"slow_requests": lambda: slow_requests.read(
			sources.cache,
			sources.cache_prefix,
			sources.monitor_log,
			sources.site,
			bool(sources.site_conf.get("monitor")),
			since=requests_since,
		),
		"unbounded_queries": lambda: unbounded_queries.find(db, sources.schema),
		"scheduler": lambda: scheduler_health.read(db, now, sources.site_conf, sources.next_of),
		"stall_check": lambda: stall_check(db, settings, tick_seconds(sources)),
		"mariadb": lambda: mariadb_health.read(db),
		"load_tests": lambda: load_test_runs(db, LOAD_TEST_MULTIPLIER),
	}
	facts: dict = {
		"now": now,
		"bench_config": dict(sources.bench_config),
		"cpu_cores": os.cpu_count() or 1,
		"load_test_days": settings.readiness_load_test_days,
	}
	for name, reader in readers.items():
		result = run_check(name, lambda reader=reader: {"value": reader()})
		facts[name] = (
			result.data["value"] if result.ok else {"error": result.error, "service": result.service}
		)
	indexes = facts.pop("indexes")
	for key in ("big_tables", "high_findings", "index_analysed"):
		facts[key] = indexes if is_error(indexes) else indexes[key]
	return facts


def unavailable(facts: dict) -> dict[str, str]:
	"""The services (MariaDB, a Redis) that kept a fact from being read, each with its one-line error."""
	return {fact["service"]: fact["error"] for fact in facts.values() if is_error(fact) and fact["service"]}
