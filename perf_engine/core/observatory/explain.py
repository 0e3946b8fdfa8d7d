"""EXPLAIN on demand for a top query's example: plain EXPLAIN of one SELECT with values, never run.

The text is checked with the SQL reader's text layer first: one statement (no second one after
a `;` outside quotes), no placeholders, a SELECT. EXPLAIN (not ANALYZE) only asks the
optimizer for its plan; the plan's reading (full scans, filesort, rows it expects) comes from
`indexes/plan.py`, as the index analysis reads it.
"""

import pymysql

from perf_engine.core.errors import InvalidInput, UnreadableStatement
from perf_engine.core.indexes import plan
from perf_engine.core.indexes.sql_text import segments


def explain(conn: pymysql.Connection, statement: str) -> dict:
	"""Plain EXPLAIN of one SELECT (never ANALYZE: nothing runs), with the plan's reading."""
	try:
		code = "".join(text for is_string, text in segments(statement) if not is_string)
	except UnreadableStatement as exc:
		raise InvalidInput(f"This statement cannot be explained: {exc}") from None
	if ";" in code.strip().rstrip(";"):
		raise InvalidInput("Only one statement is explained at a time")
	if "?" in code:
		raise InvalidInput(
			"This statement has placeholders (?) instead of values: explain an example with values"
		)
	try:
		rows = plan.explain(conn, statement.strip().rstrip(";"))
	except ValueError:
		raise InvalidInput("Only a SELECT is explained (plain EXPLAIN, which never runs it)") from None
	except pymysql.MySQLError as exc:
		raise InvalidInput(f"MariaDB could not explain it: {exc.args[-1]}") from None
	reading = plan.read_plan(rows)
	return {
		"rows": rows,
		"full_scan": any(access.full_scan for access in reading.accesses),
		"filesort": reading.filesort,
		"rows_examined_estimate": reading.rows_examined,
	}
