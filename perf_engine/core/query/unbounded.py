"""List queries without a LIMIT that read many rows, found in the workload the index analysis reads.

A statement counts when it is a SELECT from a table, has no LIMIT at its top level, is not
a single aggregate row (COUNT/SUM without GROUP BY) and examined at least UNBOUNDED_ROWS
rows a call: a list that grows with the table instead of a page. Statements come from
`indexes.workload.statements` (performance_schema digests or the slow query log, each
bounded to its 500 heaviest), so the cost is that of one analysis' read.
"""

import pymysql
from sqlglot import exp

from perf_engine.core.errors import UnreadableStatement
from perf_engine.core.indexes import server_variables, workload
from perf_engine.core.indexes.sql import parse

UNBOUNDED_ROWS = 1000


def top_select(sql: str) -> exp.Select | None:
	"""The statement's SELECT when it is one SELECT; None for anything else, unreadable text included."""
	try:
		trees = [tree for tree in parse(sql) if tree is not None]
	except UnreadableStatement:
		return None
	return trees[0] if len(trees) == 1 and isinstance(trees[0], exp.Select) else None


def one_aggregate_row(select: exp.Select) -> bool:
	"""Aggregates only (COUNT, SUM, ...) and no GROUP BY: the SELECT returns one row whatever it reads."""
	return not select.args.get("group") and all(
		isinstance(column.unalias(), exp.AggFunc) for column in select.expressions
	)


def returns_one_row(sql: str) -> bool:
	"""A single SELECT of aggregates without GROUP BY; unreadable text is never assumed to be one."""
	select = top_select(sql)
	return select is not None and one_aggregate_row(select)


def is_unbounded_list(sql: str) -> bool:
	"""A top-level SELECT from a table with no LIMIT that returns rows, not one aggregate; unreadable text is
	never called unbounded."""
	select = top_select(sql)
	if select is None or select.args.get("limit") or not select.args.get("from_"):
		return False
	return not one_aggregate_row(select)


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
