"""What `perf-engine doctor` reports about the local services.

Measures: MariaDB reachability, version, max_connections and per-database size (from
information_schema estimates, never COUNT(*)); Redis reachability, version, memory and
keys per database for the cache and the queue instance; RQ queues with their depth and
the workers registered, each alive or not by `jobs.workers`. Each part runs on its own: a service that is down marks only its
own section as failed.
"""

from datetime import datetime, timezone
from typing import Any

import pymysql
import redis
from rq import Queue

from perf_engine.core.checks import CheckResult, run_check
from perf_engine.core.config import ConnectionSettings
from perf_engine.core.connections import cache_redis, connect_mariadb, queue_redis
from perf_engine.core.jobs.workers import registered_workers
from perf_engine.core.redaction import redact

DATABASE_SIZES_SQL = """
	SELECT table_schema AS name, COUNT(*) AS tables,
		COALESCE(SUM(data_length), 0) AS data_bytes, COALESCE(SUM(index_length), 0) AS index_bytes
	FROM information_schema.TABLES
	WHERE table_schema NOT IN ('information_schema', 'performance_schema', 'mysql', 'sys')
	GROUP BY table_schema ORDER BY SUM(data_length) + SUM(index_length) DESC
"""


def mariadb_report(conn: pymysql.Connection) -> dict[str, Any]:
	"""Version, connection limit and the size of every user database."""
	with conn.cursor(pymysql.cursors.DictCursor) as cur:
		cur.execute("SELECT VERSION() AS version, @@max_connections AS max_connections")
		head = cur.fetchone()
		cur.execute("SHOW GLOBAL STATUS LIKE 'Threads_connected'")
		threads = int(cur.fetchone()["Value"])
		cur.execute(DATABASE_SIZES_SQL)
		databases = [{k: int(v) if k != "name" else v for k, v in row.items()} for row in cur.fetchall()]
	return {**head, "threads_connected": threads, "databases": databases}


def redis_report(client: redis.Redis) -> dict[str, Any]:
	"""Version, memory and key counts from INFO, which is O(1) for the server."""
	info = client.info()
	keyspace = {name: stats["keys"] for name, stats in info.items() if name.startswith("db")}
	return {
		"version": info["redis_version"],
		"used_memory": info["used_memory"],
		"maxmemory": info.get("maxmemory", 0),
		"connected_clients": info["connected_clients"],
		"keys_per_db": keyspace,
	}


def rq_report(client: redis.Redis, now: datetime | None = None) -> dict[str, Any]:
	"""Queues RQ knows with their depth, and the workers registered with their state and liveness."""
	queues = [{"name": q.name, "queued": q.count} for q in Queue.all(connection=client)]
	workers = [
		{"name": w.name, "queues": list(w.queues), "state": w.state, "alive": w.alive}
		for w in registered_workers(client, now or datetime.now(timezone.utc))
	]
	return {"queues": sorted(queues, key=lambda q: q["name"]), "workers": workers}


def run_doctor(settings: ConnectionSettings) -> list[CheckResult]:
	"""Every section of the doctor report, each isolated from the others' failures.

	RQ lives in the queue Redis: when that is down, the rq section says so instead of
	repeating the same failure. A malformed Redis URL is refused before anything runs."""
	cache, queue = cache_redis(settings), queue_redis(settings)

	def mariadb() -> dict[str, Any]:
		conn = connect_mariadb(settings, database="")
		try:
			return {"address": f"{settings.db_host}:{settings.db_port}", **mariadb_report(conn)}
		finally:
			conn.close()

	queue_section = run_check(
		"redis_queue", lambda: {"url": redact(settings.redis_queue_url), **redis_report(queue)}
	)
	rq = (
		run_check("rq", lambda: rq_report(queue))
		if queue_section.ok
		else CheckResult("rq", ok=False, error="not checked: the queue Redis is unreachable (above)")
	)
	return [
		run_check("mariadb", mariadb),
		run_check("redis_cache", lambda: {"url": redact(settings.redis_cache_url), **redis_report(cache)}),
		queue_section,
		rq,
	]
