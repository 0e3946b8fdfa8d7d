"""Query times per class (single row, batch, COUNT) for one site's database, in a recent window.

Sources, in order: performance_schema statement digests when it is on (each digest last seen in
the window; its average time per call, cumulative since the digest table was last reset), else
the slow query log (table or file) when it is on: the p95 of the window's logged executions of
the class. The slow log holds only statements slower than `long_query_time`, the slow tail, so
that p95 is never below the class's true p95; with nothing of a class logged every execution
took under `long_query_time`, which is reported as the value (an upper bound) when it is at or
under the threshold. Only statements whose database is this site's count.

Classes: a SELECT of COUNT(...) is a COUNT; any other SELECT, INSERT, UPDATE, DELETE or REPLACE
is a single-row query when it sent or changed at most one row per call, else a batch.
"""

import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pymysql

from perf_engine.core.indexes import server_variables, slow_log
from perf_engine.core.indexes.workload import MONITORING_DIGESTS
from perf_engine.core.latency.thresholds import percentile

SINGLE, BATCH, COUNT = "single_query", "batch_query", "count_query"
CLASSES = (SINGLE, BATCH, COUNT)
COUNT_SQL = re.compile(r"^\s*(?:/\*.*?\*/\s*)*select\s+count\s*\(", re.IGNORECASE | re.DOTALL)
DATA_SQL = re.compile(
	r"^\s*(?:/\*.*?\*/\s*)*\(?\s*(select|insert|update|delete|replace)\b", re.IGNORECASE | re.DOTALL
)
PREFIX_CHARS = 200
PICOSECONDS = 1e12
MAX_ROWS = 20_000
# The switches that decide where query classes are read from, read in one statement per check.
SOURCE_VARIABLES = (
	"performance_schema",
	"slow_query_log",
	"log_output",
	"slow_query_log_file",
	"long_query_time",
)
DIGEST_SQL = """
	SELECT LEFT(digest_text, %s), count_star, avg_timer_wait, sum_rows_sent, sum_rows_affected
	FROM performance_schema.events_statements_summary_by_digest
	WHERE schema_name = %s AND digest_text IS NOT NULL AND digest_text NOT LIKE %s
		AND last_seen >= NOW() - INTERVAL %s SECOND
	ORDER BY sum_timer_wait DESC LIMIT %s
"""
SLOW_TABLE_SQL = """
	SELECT LEFT(sql_text, %s), TIME_TO_SEC(query_time), rows_sent, rows_affected
	FROM mysql.slow_log WHERE db = %s AND start_time >= NOW() - INTERVAL %s SECOND
	ORDER BY start_time DESC LIMIT %s
"""
ENABLE_HINT = (
	"turn on the slow query log with SET GLOBAL slow_query_log = 1, log_output = 'TABLE', "
	"long_query_time = {long_query_time} (or set performance_schema = ON in the server config and restart)"
)


@dataclass
class QueryClasses:
	"""Measured seconds per class with samples, where they came from, and what would measure the rest."""

	source: str | None = None
	measured: dict[str, dict] = field(default_factory=dict)
	hint: str | None = None


def query_class(sql: str, rows_per_call: float) -> str | None:
	"""COUNT, single-row or batch; None for statements that read or change no rows (SET, COMMIT...)."""
	if COUNT_SQL.match(sql):
		return COUNT
	if DATA_SQL.match(sql):
		return SINGLE if rows_per_call <= 1 else BATCH
	return None


def seconds_since(since: datetime) -> float:
	"""How long ago `since` (UTC) was: the server dates its tables in its own time zone, so the window
	is given to it as an interval from its NOW()."""
	return max(0.0, (datetime.now(timezone.utc) - since).total_seconds())


def digest_classes(conn: pymysql.Connection, schema: str, since: datetime) -> dict[str, dict]:
	"""The slowest average per class among digests seen since `since`, with their calls."""
	with conn.cursor() as cur:
		cur.execute(DIGEST_SQL, (PREFIX_CHARS, schema, MONITORING_DIGESTS, seconds_since(since), MAX_ROWS))
		rows = cur.fetchall()
	found: dict[str, dict] = {}
	for text, calls, avg_wait, sent, affected in rows:
		calls = int(calls or 0)
		name = query_class(text or "", (int(sent or 0) + int(affected or 0)) / max(calls, 1))
		if name and calls:
			entry = found.setdefault(name, {"seconds": 0.0, "samples": 0})
			entry["seconds"] = max(entry["seconds"], float(avg_wait) / PICOSECONDS)
			entry["samples"] += calls
	return found


def slow_log_rows(
	conn: pymysql.Connection, schema: str, since: datetime, variables: dict[str, str]
) -> list[tuple[str, float, int]]:
	"""(statement start, seconds, rows sent or changed) of this schema's logged executions since `since`."""
	found = []
	output = variables.get("log_output", "").upper()
	if "TABLE" in output:
		with conn.cursor() as cur:
			cur.execute(SLOW_TABLE_SQL, (PREFIX_CHARS, schema, seconds_since(since), MAX_ROWS))
			for text, seconds, sent, affected in cur.fetchall():
				text = text.decode(errors="replace") if isinstance(text, bytes) else text or ""
				found.append((text, float(seconds or 0), int(sent or 0) + int(affected or 0)))
	path = variables.get("slow_query_log_file", "")
	if "FILE" in output and path and os.access(path, os.R_OK):
		for entry in slow_log.entries(slow_log.tail(path)):
			if entry.schema == schema and entry.at is not None and entry.at >= since.timestamp():
				found.append(
					(entry.sql[:PREFIX_CHARS], entry.query_time_s, entry.rows_sent + entry.rows_affected)
				)
	return found


def slow_log_classes(
	conn: pymysql.Connection,
	schema: str,
	since: datetime,
	limits_s: dict[str, float],
	variables: dict[str, str],
) -> dict:
	"""The p95 of logged executions per class; a class with none logged is bounded by long_query_time."""
	durations: dict[str, list[float]] = {}
	for text, seconds, rows in slow_log_rows(conn, schema, since, variables):
		if name := query_class(text, rows):
			durations.setdefault(name, []).append(seconds)
	long_query_s = float(variables.get("long_query_time") or 0)
	found = {
		name: {"seconds": percentile(values, 95), "samples": len(values)}
		for name, values in durations.items()
	}
	for name, limit_s in limits_s.items():
		if name not in found and long_query_s <= limit_s:
			found[name] = {"seconds": long_query_s, "samples": 0, "upper_bound": True}
	return found


def measure(
	conn: pymysql.Connection, schema: str, since: datetime, limits_s: dict[str, float]
) -> QueryClasses:
	"""Query classes from the first source that is on; `limits_s` are the thresholds in seconds."""
	smallest = min(limits_s.values(), default=0.05)
	variables = server_variables.read(conn, SOURCE_VARIABLES)
	if variables.get("performance_schema") == "ON":
		source, read = "performance_schema digests", lambda: digest_classes(conn, schema, since)
	elif variables.get("slow_query_log") == "ON":
		source, read = "slow query log", lambda: slow_log_classes(conn, schema, since, limits_s, variables)
	else:
		return QueryClasses(None, {}, ENABLE_HINT.format(long_query_time=f"{smallest:g}"))
	try:
		result = QueryClasses(source, read())
	except pymysql.MySQLError as exc:
		table = "performance_schema" if source.startswith("performance") else "mysql.slow_log"
		return QueryClasses(source, {}, f"grant the site's database user SELECT on {table} ({exc.args[-1]})")
	if set(limits_s) - set(result.measured) and source == "slow query log":
		result.hint = (
			f"set long_query_time to at most {smallest:g} s (SET GLOBAL long_query_time = {smallest:g})"
		)
	return result
