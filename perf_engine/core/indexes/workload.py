"""Workload evidence: the statements that really examine many rows or use no index.

Sources: performance_schema's statement digests when it is on, and the slow query log
when it is on (table or file). Each statement is mapped to tables and columns with the
SQL reader in `sql.py`; a composite puts equality columns first (most selective first,
from index statistics or mysql.column_stats, never COUNT(DISTINCT)), then one range
column. SELECT samples with literal values are checked with EXPLAIN.
"""

import logging
import os
from collections import defaultdict
from dataclasses import dataclass

import pymysql

from perf_engine.core.indexes.catalog import Index, TableSize, covered
from perf_engine.core.indexes.recommendation import ADD, Recommendation, priority_for
from perf_engine.core.indexes.redundant import variable
from perf_engine.core.indexes.sql import table_uses

logger = logging.getLogger(__name__)

ROWS_EXAMINED_PER_CALL = 1000
PICOSECONDS = 1e12
SLOW_LOG_TAIL_BYTES = 16 * 1024 * 1024
MAX_STATEMENTS = 500
DIGEST_SQL = """
	SELECT digest_text, count_star, sum_timer_wait, sum_rows_examined, sum_no_index_used
	FROM performance_schema.events_statements_summary_by_digest
	WHERE schema_name = %s AND digest_text IS NOT NULL
		AND (sum_no_index_used > 0 OR sum_rows_examined / GREATEST(count_star, 1) >= %s)
	ORDER BY sum_timer_wait DESC LIMIT %s
"""
SLOW_TABLE_SQL = """
	SELECT sql_text, COUNT(*), SUM(TIME_TO_SEC(query_time)), SUM(rows_examined)
	FROM mysql.slow_log WHERE db = %s GROUP BY sql_text ORDER BY SUM(TIME_TO_SEC(query_time)) DESC LIMIT %s
"""
ENABLE_HINT = (
	"No workload source is on. Turn on the slow query log with "
	"SET GLOBAL slow_query_log = 1, log_output = 'TABLE', long_query_time = 1 "
	"(or set performance_schema = ON in the server config and restart)."
)


@dataclass
class Statement:
	sql: str
	calls: int
	total_time_s: float
	rows_examined: int
	source: str
	literal: bool  # has real values, so EXPLAIN can run it


def digests(conn: pymysql.Connection, schema: str) -> list[Statement]:
	with conn.cursor() as cur:
		cur.execute(DIGEST_SQL, (schema, ROWS_EXAMINED_PER_CALL, MAX_STATEMENTS))
		rows = cur.fetchall()
	return [
		Statement(text, int(n), float(t) / PICOSECONDS, int(r), "performance_schema digest", False)
		for text, n, t, r, _ in rows
	]


def slow_log_table(conn: pymysql.Connection, schema: str) -> list[Statement]:
	with conn.cursor() as cur:
		cur.execute(SLOW_TABLE_SQL, (schema, MAX_STATEMENTS))
		rows = cur.fetchall()
	return [
		Statement(
			text.decode() if isinstance(text, bytes) else text,
			int(n),
			float(t or 0),
			int(r or 0),
			"slow log (table)",
			True,
		)
		for text, n, t, r in rows
	]


def slow_log_file(path: str, schema: str) -> list[Statement]:
	"""Statements from the tail of a slow log file this process can read."""
	if not path or not os.access(path, os.R_OK):
		return []
	with open(path, "rb") as log:
		log.seek(max(0, os.path.getsize(path) - SLOW_LOG_TAIL_BYTES))
		text = log.read().decode(errors="replace")
	grouped: dict[str, Statement] = {}
	current_db, query_time, rows = None, 0.0, 0
	for line in text.splitlines():
		if line.startswith("# Query_time:"):
			parts = line.replace(":", "").split()
			query_time = float(parts[parts.index("Query_time") + 1])
			rows = int(parts[parts.index("Rows_examined") + 1]) if "Rows_examined" in parts else 0
		elif line.lower().startswith("use "):
			current_db = line[4:].strip(" ;`")
		elif line and not line.startswith(("#", "SET timestamp", "/")) and current_db == schema:
			entry = grouped.setdefault(line, Statement(line, 0, 0.0, 0, "slow log (file)", True))
			entry.calls += 1
			entry.total_time_s += query_time
			entry.rows_examined += rows
	return list(grouped.values())


def statements(conn: pymysql.Connection, schema: str) -> tuple[list[Statement], str]:
	"""Statements from every source that is on, and a note on which ones were."""
	found, sources, unreadable = [], [], []
	readers = []
	if variable(conn, "performance_schema") == "ON":
		readers.append(("performance_schema", lambda: digests(conn, schema)))
	if variable(conn, "slow_query_log") == "ON":
		output = (variable(conn, "log_output") or "").upper()
		if "TABLE" in output:
			readers.append(("slow query log (table)", lambda: slow_log_table(conn, schema)))
		if "FILE" in output:
			readers.append(
				(
					"slow query log (file)",
					lambda: slow_log_file(variable(conn, "slow_query_log_file") or "", schema),
				)
			)
	if not readers:
		return [], ENABLE_HINT
	for name, read in readers:
		try:
			found += read()
			sources.append(name)
		except pymysql.MySQLError as exc:
			unreadable.append(f"{name} ({exc.args[-1]})")
	note = f"Workload read from {', '.join(sources) or 'nothing'}: {len(found)} statement(s)."
	if unreadable:
		note += f" Could not read {', '.join(unreadable)}: grant this user SELECT on it, or run the analysis as an admin user."
	return found, note


def selectivity(
	conn: pymysql.Connection, schema: str, table: str, column: str, table_indexes: list[Index]
) -> float | None:
	"""Distinct values of a column: an index's cardinality, else mysql.column_stats; never a scan."""
	for index in table_indexes:
		if (
			index.columns
			and index.columns[0].lower() == column.lower()
			and index.cardinality
			and index.cardinality[0]
		):
			return float(index.cardinality[0])
	try:
		with conn.cursor() as cur:
			cur.execute(
				"SELECT avg_frequency FROM mysql.column_stats WHERE db_name = %s AND table_name = %s AND column_name = %s",
				(schema, table, column),
			)
			row = cur.fetchone()
	except pymysql.MySQLError:
		return None
	return 1 / float(row[0]) if row and row[0] else None


def explain(conn: pymysql.Connection, sql: str) -> list[dict] | None:
	"""EXPLAIN of a literal SELECT, None for anything else or when it does not run."""
	if not sql.lstrip().lower().startswith("select"):
		return None
	try:
		with conn.cursor(pymysql.cursors.DictCursor) as cur:
			cur.execute("EXPLAIN " + sql)
			return [
				{k: v for k, v in row.items() if k in ("table", "type", "key", "rows", "Extra")}
				for row in cur.fetchall()
			]
	except pymysql.MySQLError as exc:
		logger.info("EXPLAIN failed: %s", exc)
		return None


def workload_findings(
	conn: pymysql.Connection, schema: str, sizes: dict[str, TableSize], indexes: dict[str, list[Index]]
) -> tuple[list[Recommendation], str]:
	"""Composite indexes the measured statements need and do not have, ranked by total time."""
	found, note = statements(conn, schema)
	by_target: dict[tuple[str, tuple[str, ...]], Recommendation] = {}
	totals: dict[tuple[str, tuple[str, ...]], float] = defaultdict(float)
	for statement in found:
		for table, use in table_uses(statement.sql).items():
			if table not in sizes:
				continue
			table_indexes = indexes.get(table, [])
			equality = sorted(
				use.equality, key=lambda c: -(selectivity(conn, schema, table, c, table_indexes) or 0)
			)
			columns = tuple(equality + use.range[:1]) or tuple(use.order_by[:1])
			if not columns or covered(columns, table_indexes):
				continue
			target = (table, columns)
			totals[target] += statement.total_time_s
			if target not in by_target:
				size = sizes[table]
				by_target[target] = Recommendation(
					table,
					columns,
					ADD,
					priority_for(size.rows),
					f"used by {statement.source}: {statement.calls} call(s), {statement.rows_examined:,} rows examined",
					size.rows,
					"workload",
					evidence={
						"statement": statement.sql[:2000],
						"explain": explain(conn, statement.sql) if statement.literal else None,
					},
				)
	for target, recommendation in by_target.items():
		recommendation.total_time_s = round(totals[target], 3)
	return sorted(by_target.values(), key=lambda r: -r.total_time_s), note
