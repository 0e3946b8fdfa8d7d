"""Every figure perf_engine reports, gathered once for metrics, health, cards and snapshots.

Parts: queue status rows (pipelined counts) with each queue's advice, the cache Redis' memory
status (one INFO), the site's Performance Thresholds (a dozen rows), the site's history counts (small queries on perf_engine's own tables), the site's
scheduler (`scheduler_health`, bounded reads of its job tables), the MariaDB server's
figures MySQLTuner judges (`mariadb_health`: buffer pool, redo log, connections, slow
queries, table caches against the tables, temporary tables on disk, joins without indexes),
each queue's last 15 minutes of job statistics (one MGET, the workers' hashes, the
`job_queue_wait` threshold's row), the site's database now (its statements over the threshold,
lock waits and deadlocks: `observatory.health_facts`), perf_engine's own cost (`core.footprint`: its
ledger, bounded row counts, a bounded scan of its keys) and the health judged from them. Each part is gathered on
its own: a part that fails is None and its error is kept
under `errors` (and the unreachable service under `unavailable`), and health reports the
subsystems it feeds as unknown.
"""

import time
from collections.abc import Mapping
from datetime import datetime

import pymysql
import redis

from perf_engine.core.checks import run_check
from perf_engine.core.errors import InvalidInput
from perf_engine.core.footprint import report as footprint
from perf_engine.core.health import mariadb as mariadb_health
from perf_engine.core.health import rules as health
from perf_engine.core.health import scheduler as scheduler_health
from perf_engine.core.health.site_counts import site_counts
from perf_engine.core.jobs.advice import advise_all
from perf_engine.core.jobs.queue_status import queue_status
from perf_engine.core.jobstats.report import health_facts as job_load_facts
from perf_engine.core.jobstats.verdict import wait_limit_s
from perf_engine.core.latency import thresholds
from perf_engine.core.observatory import health_facts as database_facts
from perf_engine.core.observatory.site import of_connection
from perf_engine.core.redis.memory import memory_status
from perf_engine.core.settings import Settings

NO_SITE = "no site database given (pass --bench and --site)"
MB = 1024 * 1024
PERCENT = 100


def collect(
	*,
	queue: redis.Redis,
	queue_names: dict[str, str],
	cache: redis.Redis,
	settings: Settings,
	now: datetime,
	db: pymysql.Connection | None = None,
	site_conf: Mapping | None = None,
	next_of: scheduler_health.NextRun | None = None,
) -> dict:
	"""Queues, Redis, counts, scheduler and MariaDB (when a site database is given) and the health
	judged from them; `site_conf` holds the site's scheduler switches, `next_of` reads cron expressions."""

	def site_db() -> pymysql.Connection:
		if db is None:
			raise InvalidInput(NO_SITE)
		return db

	parts = (
		run_check(
			"queues", lambda: {"rows": advise_all(queue_status(queue, queue_names), settings.advice_limits)}
		),
		run_check("redis", lambda: memory_status(cache, settings.budget_bytes)),
		run_check("counts", lambda: site_counts(site_db(), now)),
		run_check("thresholds", lambda: thresholds.read_stored(site_db())),
		run_check("scheduler", lambda: scheduler_health.read(site_db(), now, site_conf, next_of)),
		run_check("mariadb", lambda: mariadb_health.read(site_db())),
		run_check("job_load", lambda: job_load_facts(queue, queue_names, time.time(), wait_limit_s(db))),
		run_check(
			"database",
			lambda: database_facts.read(
				site_db(), of_connection(site_db()), settings.running_query_seconds, now
			),
		),
		run_check("footprint", lambda: footprint.read(cache, queue, site_db(), time.time(), now)),
	)
	found = {part.name: part.data if part.ok else None for part in parts}
	found["queues"] = found["queues"] and found["queues"]["rows"]
	found["errors"] = {part.name: part.error for part in parts if not part.ok}
	found["unavailable"] = {part.name: part.service for part in parts if part.service}
	found["health"] = health.assess(found, settings)
	return found


def totals(found: dict) -> dict:
	"""The headline numbers of the workspace's cards and snapshots; None where their part failed."""
	rows, redis, counts = found["queues"], found["redis"], found["counts"]
	pressure = redis["pressure"] if redis else None
	return {
		"queued_jobs": None if rows is None else sum(r["queued"] for r in rows),
		"busy_workers": None if rows is None else sum(r["workers"]["busy"] for r in rows),
		"live_workers": None if rows is None else sum(r["workers"]["total"] for r in rows),
		"open_stalls": counts and counts["open_stalls"],
		"redis_used_mb": redis and redis["used_memory"] / MB,
		"redis_used_percent": None if pressure is None else pressure * PERCENT,
		"violations_24h": counts and sum(counts["violations_24h"].values()),
		"open_high_indexes": counts and counts["open_index_findings"].get("HIGH", 0),
	}
