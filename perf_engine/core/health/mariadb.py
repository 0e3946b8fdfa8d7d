"""Read the MariaDB figures that bear on performance, as MySQLTuner reads them.

Measures: the InnoDB buffer pool size against the data and index size of every InnoDB
table on the server (the pool serves them all), the pool's read hit ratio
(Innodb_buffer_pool_read_requests against Innodb_buffer_pool_reads from disk),
connections in use and at their peak against `max_connections`, and slow queries per
minute and as a share of all queries since the server started. Four small reads: two
variables, six status counters, one sum over information_schema.TABLES (a row per
table, so it grows with the number of tables, never with their rows).
"""

import pymysql

SECONDS_PER_MINUTE = 60
STATUS = (
	"Innodb_buffer_pool_read_requests",
	"Innodb_buffer_pool_reads",
	"Threads_connected",
	"Max_used_connections",
	"Slow_queries",
	"Questions",
	"Uptime",
)
STATUS_SQL = "SHOW GLOBAL STATUS WHERE Variable_name IN ({})".format(", ".join(["%s"] * len(STATUS)))
VARIABLES_SQL = "SELECT @@innodb_buffer_pool_size, @@max_connections, @@slow_query_log, @@long_query_time"
INNODB_SIZE_SQL = "SELECT COALESCE(SUM(data_length + index_length), 0) FROM information_schema.TABLES WHERE engine = 'InnoDB'"


def read(conn: pymysql.Connection) -> dict:
	"""The server's figures with the ratios MySQLTuner judges; a ratio without traffic behind it is None."""
	with conn.cursor() as cur:
		cur.execute(VARIABLES_SQL)
		pool, max_connections, slow_log, long_query_time = cur.fetchone()
		cur.execute(STATUS_SQL, STATUS)
		status = {name: int(value) for name, value in cur.fetchall()}
		cur.execute(INNODB_SIZE_SQL)
		innodb_bytes = int(cur.fetchone()[0])
	requests = status["Innodb_buffer_pool_read_requests"]
	uptime_min = max(status["Uptime"], 1) / SECONDS_PER_MINUTE
	return {
		"buffer_pool_bytes": int(pool),
		"innodb_data_bytes": innodb_bytes,
		"buffer_pool_hit_ratio": (requests - status["Innodb_buffer_pool_reads"]) / requests
		if requests
		else None,
		"buffer_pool_read_requests": requests,
		"max_connections": int(max_connections),
		"connections_used": status["Threads_connected"],
		"max_used_connections": status["Max_used_connections"],
		"slow_queries": status["Slow_queries"],
		"slow_queries_per_minute": status["Slow_queries"] / uptime_min,
		"slow_query_share": status["Slow_queries"] / status["Questions"] if status["Questions"] else None,
		"slow_query_log": bool(slow_log),
		"long_query_time_s": float(long_query_time),
		"uptime_s": status["Uptime"],
	}
