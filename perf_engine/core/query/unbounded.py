"""List queries without a LIMIT that read many rows, found in the workload the index analysis reads.

A statement counts when it is a SELECT from a table, has no LIMIT at its top level, is not
a single aggregate row (COUNT/SUM without GROUP BY) and examined at least UNBOUNDED_ROWS
rows a call: a list that grows with the table instead of a page. Statements come from
`indexes.workload.statements` (performance_schema digests or the slow query log, each
bounded to its 500 heaviest), so the cost is that of one analysis' read.
"""

import pymysql
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from perf_engine.core.errors import UnreadableStatement
from perf_engine.core.indexes import server_variables, workload
from perf_engine.core.indexes.sql import DIALECT
from perf_engine.core.indexes.sql_text import normalise

UNBOUNDED_ROWS = 1000


def is_unbounded_list(sql: str) -> bool:
	"""A top-level SELECT from a table with no LIMIT that returns rows, not one aggregate; unreadable text is
	never called unbounded."""
	try:
		tree = sqlglot.parse_one(normalise(sql), read=DIALECT)
	except (UnreadableStatement, SqlglotError, RecursionError):
		return False
	if not isinstance(tree, exp.Select) or tree.args.get("limit") or not tree.args.get("from_"):
		return False
	single_row = not tree.args.get("group") and all(
		isinstance(column.unalias(), exp.AggFunc) for column in tree.expressions
	)
	return not single_row


def find(conn: pymysql.Connection, schema: str) -> dict:
	"""Unbounded list queries of the schema's workload, heaviest first, and which source was read."""
	statements, note = workload.statements(conn, schema, server_variables.read(conn))
	found = [
		{
			"sql": statement.sql,
			"calls": statement.calls,
			"rows_per_call": statement.rows_examined / max(statement.calls, 1),
			"source": statement.source,
		}
		for statement in statements
		if statement.rows_examined / max(statement.calls, 1) >= UNBOUNDED_ROWS
		and is_unbounded_list(statement.sql)
	]
	return {"source_off": note == workload.ENABLE_HINT, "note": note, "statements": found}
