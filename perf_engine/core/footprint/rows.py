"""The rows perf_engine writes to a site's database: its jobs' Scheduled Job Log rows and its own tables.

Every count is of rows modified since a moment, through the `modified` index Frappe gives each
table, and stops at COUNT_CAP, so no count scans a big table.
"""

from datetime import datetime

import pymysql

COUNT_CAP = 100_000
JOB_TYPES_SQL = "SELECT name FROM `tabScheduled Job Type` WHERE method LIKE 'perf\\_engine.%%'"
LOG_ROWS_SQL = (
	"SELECT COUNT(*) FROM (SELECT 1 FROM `tabScheduled Job Log` WHERE modified >= %s"
	" AND scheduled_job_type IN %s LIMIT %s) AS rows_written"
)
ROWS_SQL = "SELECT COUNT(*) FROM (SELECT 1 FROM `tab{0}` WHERE modified >= %s LIMIT %s) AS rows_written"
DATED_TABLES_SQL = (
	"SELECT TABLE_NAME FROM information_schema.COLUMNS"
	" WHERE TABLE_SCHEMA = DATABASE() AND COLUMN_NAME = 'modified' AND TABLE_NAME IN %s"
)
SIZES_SQL = (
	"SELECT TABLE_NAME, TABLE_ROWS, DATA_LENGTH + INDEX_LENGTH FROM information_schema.TABLES"
	" WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN %s"
)
# perf_engine's DocTypes whose rows its own work writes (history, logs, the outbox, findings).
HISTORY_DOCTYPES = (
	"Perf Snapshot",
	"Threshold Violation",
	"Stalled Job",
	"Deadlock",
	"Perf Event Outbox",
	"Perf Event Failure",
	"Redis Cleanup Log",
	"Index Recommendation",
	"Query Kill Log",
	"Load Test Run",
)


def log_rows(conn: pymysql.Connection, since: datetime) -> int:
	"""Scheduled Job Log rows of perf_engine's job types written since `since` (at most COUNT_CAP)."""
	with conn.cursor() as cur:
		cur.execute(JOB_TYPES_SQL)
		names = tuple(name for (name,) in cur.fetchall())
		if not names:
			return 0
		cur.execute(LOG_ROWS_SQL, (since, names, COUNT_CAP))
		return int(cur.fetchone()[0])


def history_rows(conn: pymysql.Connection, since: datetime) -> dict[str, int]:
	"""Rows of each of perf_engine's history DocTypes written since `since` (each at most COUNT_CAP); a
	DocType whose table this database lacks (an older perf_engine) is left out."""
	written = {}
	with conn.cursor() as cur:
		cur.execute(DATED_TABLES_SQL, (tuple(f"tab{doctype}" for doctype in HISTORY_DOCTYPES),))
		present = {table for (table,) in cur.fetchall()}
		for doctype in HISTORY_DOCTYPES:
			if f"tab{doctype}" in present:
				cur.execute(ROWS_SQL.format(doctype), (since, COUNT_CAP))
				written[doctype] = int(cur.fetchone()[0])
	return written


def table_sizes(conn: pymysql.Connection) -> dict[str, dict]:
	"""Each history table's estimated rows and bytes, as information_schema keeps them (no scan)."""
	tables = {f"tab{doctype}": doctype for doctype in HISTORY_DOCTYPES}
	with conn.cursor() as cur:
		cur.execute(SIZES_SQL, (tuple(tables),))
		found = {
			tables[table]: {"rows": int(rows or 0), "bytes": int(size or 0)}
			for table, rows, size in cur.fetchall()
		}
	return dict(sorted(found.items()))
