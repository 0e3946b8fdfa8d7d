"""Workload evidence: the statements that really examine many rows or use no index.

Sources: performance_schema's statement digests when it is on, and the slow query log
when it is on (table or file); the MAX_STATEMENTS that took the most time are read. Each
statement is mapped to tables and columns with the SQL reader in `sql.py`, checked against
the catalog's columns; a composite puts equality columns first (most selective first, from
index statistics or mysql.column_stats, never COUNT(DISTINCT)), then one range column, or
else one ORDER BY (or GROUP BY) column; a table with neither gets its join key. SELECT
samples with literal values are checked with EXPLAIN. Statements the reader refuses are
counted and named in the note, never guessed; one that makes the reading fail is one more
refused statement, never the end of the analysis. Long statements are kept compacted (their
literal lists shortened), so 500 statements of 200 KB IN lists cost what their text says.
"""

import logging
import os
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pymysql

from perf_engine.core.indexes import plan as query_plan
from perf_engine.core.indexes import server_variables, slow_log
from perf_engine.core.indexes.catalog import Index, TableSize, columns, covered
from perf_engine.core.indexes.recommendation import ADD, Recommendation, priority_for
from perf_engine.core.indexes.sql_text import MAX_TEXT_CHARS, compact

if TYPE_CHECKING:
	from perf_engine.core.indexes.sql import TableUse

logger = logging.getLogger(__name__)

ROWS_EXAMINED_PER_CALL = 1000
PICOSECONDS = 1e12
MAX_STATEMENTS = 500
UNREAD_SNIPPET = 300
UNREAD_IN_NOTE = 3
MAX_UNREAD_LISTED = 50
# Reads of performance_schema itself (this analysis's and the query classes' own digest reads, run on
# the site's connection) are monitoring, not the site's work; digest text quotes every identifier.
MONITORING_DIGESTS = "%`performance_schema`%"
DIGEST_SQL = """
	SELECT digest_text, count_star, sum_timer_wait, sum_rows_examined, sum_no_index_used
	FROM performance_schema.events_statements_summary_by_digest
	WHERE schema_name = %s AND digest_text IS NOT NULL AND digest_text NOT LIKE %s
		AND (sum_no_index_used > 0 OR sum_rows_examined / GREATEST(count_star, 1) >= %s)
	ORDER BY sum_timer_wait DESC LIMIT %s
"""
# Text past the reader's limit on raw text is never needed: one character more tells it to refuse.
SLOW_TABLE_SQL = """
	SELECT LEFT(sql_text, %s), COUNT(*), SUM(TIME_TO_SEC(query_time)), SUM(rows_examined)
	FROM mysql.slow_log WHERE db = %s GROUP BY sql_text ORDER BY SUM(TIME_TO_SEC(query_time)) DESC LIMIT %s
"""
ENABLE_HINT = (
	"No workload source is on. Turn on the slow query log with "
	"SET GLOBAL slow_query_log = 1, log_output = 'TABLE', long_query_time = 1 "
	"(or set performance_schema = ON in the server config and restart)."
)


READING_FAILED = "the reading failed"


@dataclass
class Statement:
	sql: str
	calls: int
	total_time_s: float
	rows_examined: int
	source: str
	literal: bool  # has real values, so EXPLAIN can run it
	unread: str | None = None  # why the reader refuses it, known when its source compacted it


def kept(sql: str, source: str, literal: bool) -> Statement:
	"""A statement of a source with no calls counted yet, compacted as the reader would read it."""
	text, unread = compact(sql)
	return Statement(text, 0, 0.0, 0, source, literal, unread)


def digests(conn: pymysql.Connection, schema: str) -> list[Statement]:
	with conn.cursor() as cur:
		cur.execute(DIGEST_SQL, (schema, MONITORING_DIGESTS, ROWS_EXAMINED_PER_CALL, MAX_STATEMENTS))
		rows = cur.fetchall()
	return [
		Statement(text, int(n), float(t) / PICOSECONDS, int(r), "performance_schema digest", False)
		for text, n, t, r, _ in rows
	]


def slow_log_table(conn: pymysql.Connection, schema: str) -> list[Statement]:
	"""The heaviest logged statements, each compacted as it arrives (an unbuffered cursor holds one row)."""
	found = []
	with conn.cursor(pymysql.cursors.SSCursor) as cur:
		cur.execute(SLOW_TABLE_SQL, (MAX_TEXT_CHARS + 1, schema, MAX_STATEMENTS))
		for text, n, t, r in cur:
			statement = kept(
				text.decode(errors="replace") if isinstance(text, bytes) else text, "slow log (table)", True
			)
			statement.calls, statement.total_time_s, statement.rows_examined = (
				int(n),
				float(t or 0),
				int(r or 0),
			)
			found.append(statement)
	return found


def slow_log_file(path: str, schema: str) -> list[Statement]:
	"""Statements of this schema from the bounded tail of a slow log file this process can read."""
	if not path or not os.access(path, os.R_OK):
		return []
	grouped: dict[str, Statement] = {}
	for entry in slow_log.entries(slow_log.tail(path)):
		if entry.schema != schema:
			continue
		statement = grouped.get(entry.sql) or grouped.setdefault(
			entry.sql, kept(entry.sql, "slow log (file)", True)
		)
		statement.calls += 1
		statement.total_time_s += entry.query_time_s
		statement.rows_examined += entry.rows_examined
	return heaviest(list(grouped.values()))


def heaviest(found: list[Statement]) -> list[Statement]:
	"""The MAX_STATEMENTS statements that took the most time: what one analysis reads."""
	return sorted(found, key=lambda s: -s.total_time_s)[:MAX_STATEMENTS]


def statements(
	conn: pymysql.Connection, schema: str, variables: dict[str, str]
) -> tuple[list[Statement], str]:
	"""Statements from every source that is on (`variables` from `server_variables.read`), and a note on which ones were."""
	found, sources, unreadable = [], [], []
	readers = []
	if variables.get("performance_schema") == "ON":
		readers.append(("performance_schema", lambda: digests(conn, schema)))
	if variables.get("slow_query_log") == "ON":
		output = (variables.get("log_output") or "").upper()
		if "TABLE" in output:
			readers.append(("slow query log (table)", lambda: slow_log_table(conn, schema)))
		if "FILE" in output:
			readers.append(
				(
					"slow query log (file)",
					lambda: slow_log_file(variables.get("slow_query_log_file") or "", schema),
				)
			)
	if not readers:
		return [], ENABLE_HINT
	for name, source in readers:
		try:
			found += source()
			sources.append(name)
		except pymysql.MySQLError as exc:
			unreadable.append(f"{name} ({exc.args[-1]})")
	found = heaviest(found)
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
	try:
		return query_plan.explain(conn, sql)
	except ValueError:
		return None
	except pymysql.MySQLError as exc:
		logger.info("EXPLAIN failed: %s", exc)
		return None


def workload_findings(
	conn: pymysql.Connection,
	schema: str,
	sizes: dict[str, TableSize],
	indexes: dict[str, list[Index]],
	guarded: Sequence[Statement] = (),
	variables: dict[str, str] | None = None,
) -> tuple[list[Recommendation], str, list[dict]]:
	"""Composite indexes the measured statements need and do not have, ranked by total time.

	`guarded` are list queries the list guard refused or warned about: never run, so they rank
	after measured statements, but each still proposes the index it needed. Also a note on what
	was read, and the statements the reader refused (never guessed). `variables` are the
	server's (`server_variables.read`), when the caller has read them already."""
	found, note = statements(
		conn, schema, variables if variables is not None else server_variables.read(conn)
	)
	if guarded:
		found += guarded
		note += (
			f" The list guard stopped or warned about {len(guarded)} list query(ies), read as evidence too."
		)
	findings, unread = findings_from(conn, schema, found, sizes, indexes)
	return findings, note + unread_note(unread), unread[:MAX_UNREAD_LISTED]


def findings_from(
	conn: pymysql.Connection,
	schema: str,
	found: list[Statement],
	sizes: dict[str, TableSize],
	indexes: dict[str, list[Index]],
) -> tuple[list[Recommendation], list[dict]]:
	"""Each statement read against the catalog; one finding per table and composite, and the unread."""
	if not found:
		return [], []
	# Imported here: sqlglot costs about 0.2 s and 14 MB in each process that imports it, and only
	# an analysis needs it, not every web worker that serves perf_engine's other methods.
	from perf_engine.core.indexes.sql import Reading, read

	facts = TableFacts(conn, schema, sizes)
	by_target: dict[tuple[str, tuple[str, ...]], Recommendation] = {}
	totals: dict[tuple[str, tuple[str, ...]], float] = defaultdict(float)
	unread: list[dict] = []
	for statement in found:
		needed: dict[tuple[str, tuple[str, ...]], Recommendation | None] = {}
		try:
			reading = (
				Reading(unread=statement.unread) if statement.unread else read(statement.sql, facts.columns)
			)
			needed = needs(conn, schema, statement, reading.uses, facts, by_target.keys(), sizes, indexes)
		except pymysql.MySQLError:
			raise  # the server, not the statement: the analysis reports it
		except Exception as error:
			# One statement that trips the reading must not end an analysis of hundreds.
			logger.exception("Reading a workload statement failed: %.200s", statement.sql)
			reading = Reading(unread=f"{READING_FAILED} ({type(error).__name__})")
		if reading.unread:
			unread.append(
				{
					"statement": statement.sql[:UNREAD_SNIPPET],
					"source": statement.source,
					"reason": reading.unread,
				}
			)
		for target, recommendation in needed.items():
			totals[target] += statement.total_time_s
			if recommendation is not None:
				by_target[target] = recommendation
	for target, recommendation in by_target.items():
		recommendation.total_time_s = round(totals[target], 3)
	return sorted(by_target.values(), key=lambda r: -r.total_time_s), unread


def needs(
	conn: pymysql.Connection,
	schema: str,
	statement: Statement,
	uses: list["TableUse"],
	facts: "TableFacts",
	known: Collection[tuple[str, tuple[str, ...]]],
	sizes: dict[str, TableSize],
	indexes: dict[str, list[Index]],
) -> dict[tuple[str, tuple[str, ...]], Recommendation | None]:
	"""The (table, composite) each of the statement's table uses needs and lacks, with its finding when
	it is not `known` yet: nothing is kept until the whole statement is read."""
	needed: dict[tuple[str, tuple[str, ...]], Recommendation | None] = {}
	for use in uses:
		if use.table not in sizes or (use.database and use.database != schema):
			continue
		table_indexes = indexes.get(use.table, [])
		columns = composite(use, facts.by_selectivity(use.table, use.equality, table_indexes))
		target = (use.table, columns)
		if not columns or covered(columns, table_indexes) or target in needed:
			continue
		needed[target] = None if target in known else finding(conn, statement, use, columns, sizes[use.table])
	return needed


def composite(use: "TableUse", equality: list[str]) -> tuple[str, ...]:
	"""Equality columns, then one range column or else one sort column; a join key alone otherwise."""
	sort = [c for c in (use.order_by or use.group_by) if c not in equality]
	leading = tuple(equality + (use.range[:1] if use.range else sort[:1]))
	return leading or tuple(use.join)


def finding(
	conn: pymysql.Connection, statement: Statement, use: "TableUse", columns: tuple[str, ...], size: TableSize
) -> Recommendation:
	"""The recommendation for one table use, with the statement, its EXPLAIN and what the reader saw."""
	return Recommendation(
		use.table,
		columns,
		ADD,
		priority_for(size.rows),
		f"used by {statement.source}: {statement.calls} call(s), {statement.rows_examined:,} rows examined",
		size.rows,
		"workload",
		evidence={
			"statement": statement.sql[:2000],
			"explain": explain(conn, statement.sql) if statement.literal else None,
			"reading": {
				role: getattr(use, role) for role in ("equality", "range", "join", "order_by", "group_by")
			}
			| {"unindexable": [{"column": c, "why": why} for c, why in use.unindexable]},
		},
		engine=size.engine,
	)


def unread_note(unread: list[dict]) -> str:
	"""How many statements the reader refused, naming the first few."""
	if not unread:
		return ""
	named = "; ".join(f"{u['statement'][:80]!r} ({u['reason']})" for u in unread[:UNREAD_IN_NOTE])
	return f" {len(unread)} statement(s) could not be read and were left out, not guessed: {named}."


class TableFacts:
	"""Column names and selectivities the reader and the ranking ask for, each read once per analysis."""

	def __init__(self, conn: pymysql.Connection, schema: str, sizes: dict[str, TableSize]):
		self.conn, self.schema, self.sizes = conn, schema, sizes
		self.table_columns: dict[str, set[str] | None] = {}
		self.distinct: dict[tuple[str, str], float] = {}

	def columns(self, table: str) -> set[str] | None:
		"""The table's columns; None for a table this schema does not have (its uses are skipped)."""
		if table not in self.table_columns:
			self.table_columns[table] = (
				columns(self.conn, self.schema, table) if table in self.sizes else None
			)
		return self.table_columns[table]

	def by_selectivity(self, table: str, equality: list[str], table_indexes: list[Index]) -> list[str]:
		"""Equality columns, most selective first."""
		for column in equality:
			if (table, column) not in self.distinct:
				self.distinct[table, column] = (
					selectivity(self.conn, self.schema, table, column, table_indexes) or 0
				)
		return sorted(equality, key=lambda c: -self.distinct[table, c])
