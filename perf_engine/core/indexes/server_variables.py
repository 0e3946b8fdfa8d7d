"""The server variables an index analysis depends on, read once per analysis.

Measures: whether performance_schema, the slow query log (and where it writes) and
userstat are on, which decides where workload statements and index usage come from;
and, only when usage is known, how long the server has been up (the usage window).
"""

import pymysql

WORKLOAD_AND_USAGE = ("performance_schema", "slow_query_log", "log_output", "slow_query_log_file", "userstat")
VARIABLES_SQL_TEMPLATE = "SHOW GLOBAL VARIABLES WHERE Variable_name IN ({})"
SECONDS_PER_DAY = 86400


def read(conn: pymysql.Connection, names: tuple[str, ...] = WORKLOAD_AND_USAGE) -> dict[str, str]:
	"""Name -> value of each of `names` (by default what the analysis asks about), in one statement; a
	missing one is absent."""
	with conn.cursor() as cur:
		cur.execute(VARIABLES_SQL_TEMPLATE.format(", ".join(["%s"] * len(names))), names)
		return {name.lower(): value for name, value in cur.fetchall()}


def uptime_window(conn: pymysql.Connection) -> str:
	"""The window index usage covers: everything since the server started."""
	with conn.cursor() as cur:
		cur.execute("SHOW GLOBAL STATUS LIKE 'Uptime'")
		seconds = int(cur.fetchone()[1])
	return f"over the {seconds / SECONDS_PER_DAY:.1f} days since the server started"
