"""The site's statement executions over a window, from whichever source the server keeps them in.

Sources, read by the same readers the index analysis uses:
- the slow query log file (`indexes/slow_log.py`: a bounded tail, split on its own headers; kept
  per process by `slow_log_digest.py` and read again only as it grows),
- `mysql.slow_log` when the server logs to a table (`slow_log_table.py`: kept per process, read
  again only for the rows logged since),
- performance_schema's statement digests: already summed per digest since the server started
  (or the summary was truncated), so a window only picks the digests last seen in it, and
  there is no per-execution time (no p95).
Each execution carries its time, lock time, rows examined and sent, and when it ran.
"""

from dataclasses import dataclass

import pymysql

from perf_engine.core.indexes.sql_text import MAX_STATEMENT_CHARS

MAX_DIGESTS = 1000
PICOSECONDS = 1e12
SLOW_LOG_FILE, SLOW_LOG_TABLE, DIGESTS = "slow log (file)", "slow log (table)", "performance_schema digests"
MONITORING_DIGESTS = "%`performance_schema`%"
DIGEST_SQL = """
	SELECT digest_text, count_star, sum_timer_wait, max_timer_wait, sum_lock_time, sum_rows_examined,
		sum_rows_sent, UNIX_TIMESTAMP(first_seen), UNIX_TIMESTAMP(last_seen)
	FROM performance_schema.events_statements_summary_by_digest
	WHERE schema_name = %s AND digest_text IS NOT NULL AND digest_text NOT LIKE %s AND last_seen >= FROM_UNIXTIME(%s)
	ORDER BY sum_timer_wait DESC LIMIT %s
"""


@dataclass
class Execution:
	"""One logged execution, or (from digests) one digest's sums over `count` executions."""

	sql: str
	query_time_s: float
	lock_time_s: float
	rows_examined: int
	rows_sent: int
	at: float | None
	count: int = 1
	max_time_s: float | None = None  # digests: the slowest execution; None means query_time_s itself
	first_at: float | None = None  # digests: when first seen


def from_digests(conn: pymysql.Connection, schema: str, since: float) -> list[Execution]:
	"""One row per digest of `schema` last seen since `since`, its sums since it was first seen."""
	with conn.cursor() as cur:
		cur.execute(DIGEST_SQL, (schema, MONITORING_DIGESTS, since, MAX_DIGESTS))
		rows = cur.fetchall()
	return [
		Execution(
			text,
			float(total or 0) / PICOSECONDS,
			float(lock or 0) / PICOSECONDS,
			int(examined or 0),
			int(sent or 0),
			float(last) if last is not None else None,
			count=int(count or 0),
			max_time_s=float(slowest or 0) / PICOSECONDS,
			first_at=float(first) if first is not None else None,
		)
		for text, count, total, slowest, lock, examined, sent, first, last in rows
	]
