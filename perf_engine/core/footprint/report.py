"""The figures of "perf_engine itself": what its jobs ran and cost over the last day, the rows they wrote,
its keys and bytes in each Redis, and its own Redis connections, read in bounded steps.

The keys' scan is the dearest read (up to 100 SCAN calls a Redis), and health, metrics and snapshots
all read these figures: its result is kept in that Redis for SCAN_KEEP_S, so a scrape every few
seconds costs one scan a site (and one for the bench's queue Redis) every 5 minutes.
"""

import json
from datetime import datetime, timedelta

import pymysql
import redis

from perf_engine.core.footprint import ledger, redis_keys, rows

DAY = timedelta(days=1)
SCAN_KEY = "perf_engine:self:scan"
SCAN_KEEP_S = 300


def read(
	cache: redis.Redis, queue: redis.Redis, db: pymysql.Connection, now: float, site_now: datetime
) -> dict:
	"""Every figure of perf_engine's own cost for the site `db` belongs to; `site_now` is the site's
	wall-clock time (its rows are stored in it)."""
	namespace = f"{database(db)}|"
	jobs = ledger.read_jobs(cache, namespace, now)
	since = site_now - DAY
	history = rows.history_rows(db, since)
	return {
		"jobs": [{"job": job, **cost} for job, cost in jobs.items()],
		"jobs_per_day": sum(cost["runs"] for cost in jobs.values()),
		"worker_seconds_per_day": round(sum(cost["seconds"] for cost in jobs.values()), 3),
		"log_rows_per_day": rows.log_rows(db, since),
		"history_rows_per_day": sum(history.values()),
		"history_rows": history,
		"tables": rows.table_sizes(db),
		"cache_redis": redis_figures(cache, namespace, redis_keys.CACHE_FAMILIES),
		"queue_redis": redis_figures(queue, "", redis_keys.QUEUE_FAMILIES),
		"own_connections": redis_keys.own_connections(cache),
		"bench_passes_per_day": ledger.read_bench_passes(queue, now),
	}


def redis_figures(client: redis.Redis, namespace: str, families: tuple[tuple[str, str], ...]) -> dict:
	"""perf_engine's keys and bytes in one Redis by family (a scan at most SCAN_KEEP_S old), with the
	server's limits to judge them by."""
	kept = client.get(namespace + SCAN_KEY)
	if kept is None:
		found = redis_keys.scan(client, namespace, families)
		scanned = {
			"keys": found.total("keys"),
			"bytes": found.total("bytes"),
			"complete": found.complete,
			"families": found.families,
		}
		client.set(namespace + SCAN_KEY, json.dumps(scanned), ex=SCAN_KEEP_S)
	else:
		scanned = json.loads(kept)
	return {**scanned, **redis_keys.limits(client)}


def database(db: pymysql.Connection) -> str:
	"""The site's database: Frappe names the site's cache namespace after it (`<db_name>|`)."""
	with db.cursor() as cur:
		cur.execute("SELECT DATABASE()")
		return cur.fetchone()[0]
