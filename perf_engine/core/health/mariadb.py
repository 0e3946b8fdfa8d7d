"""Read the MariaDB figures that bear on performance, as MySQLTuner reads them.

Measures: the InnoDB buffer pool size against the data and index size of every InnoDB
table on the server (the pool serves them all) and the pool's read hit ratio; connections
in use and at their peak against `max_connections`, and connection attempts aborted;
slow queries as a share of all queries (and a minute); the table cache and the table
definition cache against the number of tables of every database (each Frappe site adds
about 250) and how often a table open found its table in the cache; temporary tables
created on disk as a share of all; joins without indexes (Select_full_join and
Select_range_check) a day; the InnoDB redo log against the buffer pool.

Five small reads: one SHOW GLOBAL VARIABLES and one SHOW GLOBAL STATUS over named
variables, the connection's global SELECT privilege, a count of information_schema.TABLES
(a row per table, read without opening any table) and one sum over it for the InnoDB sizes
(a row per table, so it grows with the number of tables, never with their rows; the system
schemas are left out, so it runs no view and writes no temporary table). A user
without a global SELECT privilege (a Frappe site's own user) sees only its own databases'
tables there: `tables_complete` says so, and the cache fill counters speak for the rest.
Every ratio whose denominator is zero (no traffic yet, no buffer pool) is None, never a
division error.
"""

import pymysql

SECONDS_PER_MINUTE = 60
SECONDS_PER_DAY = 86400
# innodb_log_files_in_group is gone since MariaDB 10.6: one redo log file, as MySQLTuner assumes.
DEFAULT_LOG_FILES = 1
VARIABLES = (
	"innodb_buffer_pool_size",
	"innodb_log_file_size",
	"innodb_log_files_in_group",
	"max_connections",
	"slow_query_log",
	"long_query_time",
	"table_open_cache",
	"table_definition_cache",
	"tmp_table_size",
	"max_heap_table_size",
	"join_buffer_size",
	"connect_timeout",
	"log_warnings",
)
STATUS = (
	"Innodb_buffer_pool_read_requests",
	"Innodb_buffer_pool_reads",
	"Threads_connected",
	"Max_used_connections",
	"Connections",
	"Aborted_connects",
	"Slow_queries",
	"Questions",
	"Uptime",
	"Open_tables",
	"Open_table_definitions",
	"Table_open_cache_hits",
	"Table_open_cache_misses",
	"Created_tmp_tables",
	"Created_tmp_disk_tables",
	"Select_full_join",
	"Select_range_check",
)
VARIABLES_SQL = "SHOW GLOBAL VARIABLES WHERE Variable_name IN ({})".format(", ".join(["%s"] * len(VARIABLES)))
STATUS_SQL = "SHOW GLOBAL STATUS WHERE Variable_name IN ({})".format(", ".join(["%s"] * len(STATUS)))
# information_schema.TABLES answers a bare count from the schema directories alone (Skip_open_table).
TABLE_COUNT_SQL = "SELECT COUNT(*) FROM information_schema.TABLES"
# The system schemas are left out, as MySQLTuner leaves them out: they hold no InnoDB data worth a
# pool page, and reading the sizes of sys' views runs their queries (a hundred temporary tables, a
# fifth on disk, that would skew the very counters judged here).
INNODB_SIZE_SQL = """
	SELECT COALESCE(SUM(data_length + index_length), 0) FROM information_schema.TABLES
	WHERE engine = 'InnoDB' AND table_schema NOT IN ('information_schema', 'performance_schema', 'mysql', 'sys')
"""
# USER_PRIVILEGES lists every account's grants to an administrator: keep the connection's own.
GLOBAL_SELECT_SQL = """
	SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES
	WHERE PRIVILEGE_TYPE = 'SELECT' AND GRANTEE = CONCAT(
		"'", SUBSTRING_INDEX(CURRENT_USER(), '@', 1), "'@'", SUBSTRING_INDEX(CURRENT_USER(), '@', -1), "'"
	)
"""


def share(part: int, whole: int) -> float | None:
	"""part / whole, or None when there is no whole to speak of."""
	return part / whole if whole else None


def named(cur, sql: str, names: tuple[str, ...]) -> dict[str, str]:
	cur.execute(sql, names)
	return {name.lower(): value for name, value in cur.fetchall()}


def read(conn: pymysql.Connection) -> dict:
	"""The server's figures with the ratios MySQLTuner judges; a ratio without traffic behind it is None."""
	with conn.cursor() as cur:
		variables = named(cur, VARIABLES_SQL, VARIABLES)
		status = {name: int(value) for name, value in named(cur, STATUS_SQL, STATUS).items()}
		cur.execute(TABLE_COUNT_SQL)
		tables = int(cur.fetchone()[0])
		cur.execute(INNODB_SIZE_SQL)
		innodb_bytes = int(cur.fetchone()[0])
		cur.execute(GLOBAL_SELECT_SQL)
		sees_every_database = bool(cur.fetchone()[0])
	return {
		**buffer_pool(variables, status, innodb_bytes),
		**connections(variables, status),
		**slow_queries(variables, status),
		**table_caches(variables, status, tables, sees_every_database),
		**temporary_tables(variables, status),
		**joins(variables, status),
		"uptime_s": status["uptime"],
	}


def buffer_pool(variables: dict, status: dict, innodb_bytes: int) -> dict:
	pool = int(variables["innodb_buffer_pool_size"])
	requests = status["innodb_buffer_pool_read_requests"]
	redo = int(variables["innodb_log_file_size"]) * int(
		variables.get("innodb_log_files_in_group", DEFAULT_LOG_FILES)
	)
	return {
		"buffer_pool_bytes": pool,
		"innodb_data_bytes": innodb_bytes,
		"buffer_pool_hit_ratio": share(requests - status["innodb_buffer_pool_reads"], requests),
		"buffer_pool_read_requests": requests,
		"redo_log_bytes": redo,
		"redo_log_share": share(redo, pool),
	}


def connections(variables: dict, status: dict) -> dict:
	return {
		"max_connections": int(variables["max_connections"]),
		"connections_used": status["threads_connected"],
		"max_used_connections": status["max_used_connections"],
		"connections": status["connections"],
		"aborted_connects": status["aborted_connects"],
		"aborted_connect_share": share(status["aborted_connects"], status["connections"]),
		"connect_timeout_s": int(variables["connect_timeout"]),
		"log_warnings": int(variables["log_warnings"]),
	}


def slow_queries(variables: dict, status: dict) -> dict:
	uptime_min = max(status["uptime"], 1) / SECONDS_PER_MINUTE
	return {
		"slow_queries": status["slow_queries"],
		"questions": status["questions"],
		"slow_queries_per_minute": status["slow_queries"] / uptime_min,
		"slow_query_share": share(status["slow_queries"], status["questions"]),
		"slow_query_log": variables["slow_query_log"].upper() in ("ON", "1"),
		"long_query_time_s": float(variables["long_query_time"]),
	}


def table_caches(variables: dict, status: dict, tables: int, sees_every_database: bool) -> dict:
	hits, misses = status["table_open_cache_hits"], status["table_open_cache_misses"]
	return {
		"tables": tables,
		"tables_complete": sees_every_database,
		"table_open_cache": int(variables["table_open_cache"]),
		"open_tables": status["open_tables"],
		"table_cache_hit_ratio": share(hits, hits + misses),
		"table_open_cache_hits": hits,
		"table_open_cache_misses": misses,
		"table_definition_cache": int(variables["table_definition_cache"]),
		"open_table_definitions": status["open_table_definitions"],
	}


def temporary_tables(variables: dict, status: dict) -> dict:
	return {
		"tmp_tables": status["created_tmp_tables"],
		"tmp_disk_tables": status["created_tmp_disk_tables"],
		"tmp_disk_share": share(status["created_tmp_disk_tables"], status["created_tmp_tables"]),
		"tmp_table_size": int(variables["tmp_table_size"]),
		"max_heap_table_size": int(variables["max_heap_table_size"]),
	}


def joins(variables: dict, status: dict) -> dict:
	"""Joins that read every row of a table for each row of another, as MySQLTuner counts them."""
	count = status["select_full_join"] + status["select_range_check"]
	return {
		"joins_without_indexes": count,
		"joins_without_indexes_per_day": count * SECONDS_PER_DAY / max(status["uptime"], 1),
		"join_buffer_size": int(variables["join_buffer_size"]),
	}
