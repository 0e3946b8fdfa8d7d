"""What a healthy MariaDB server is, as MySQLTuner judges it, from the figures `mariadb.read` gives.

Checks: the buffer pool against the InnoDB data and its read hit ratio, the redo log against
the pool, connections against max_connections and aborted connection attempts, slow queries,
the table cache and the table definition cache against the tables of every database (a
Frappe bench has about 250 per site: ten sites outgrow the defaults of 2000 and 400), the
temporary tables written to disk, and joins without indexes. Each check's value and limit
are in the unit its threshold names, and a check that warns says which variable to set and
to what. A figure the server has no traffic for yet is judged ok and said so.
"""

import math

from perf_engine.core.health.verdicts import CRITICAL, MIB, OK, WARNING, check, from_checks, size
from perf_engine.core.settings import Settings

# MySQLTuner's limits: read efficiency under 90 %, peak connections over 85 %, slow queries
# over 5 % of all questions, over 25 % of temporary tables on disk, over 250 joins without
# indexes a day, over 3 % of connection attempts aborted, a buffer pool smaller than the
# InnoDB data, a table or definition cache smaller than the number of tables.
HIT_RATIO_MIN = 0.90
CONNECTIONS_PEAK_MAX = 0.85
CONNECTIONS_NOW_CRITICAL = 0.95
SLOW_QUERY_SHARE_MAX = 0.05
TMP_DISK_SHARE_MAX = 0.25
# MySQLTuner: with in-memory temporary tables this big already, the result sets are what is too big.
TMP_TABLE_SIZE_CEILING = 256 * MIB
JOINS_WITHOUT_INDEXES_PER_DAY_MAX = 250
ABORTED_CONNECT_SHARE_MAX = 0.03
# MySQLTuner wants the redo log at 25 % of the pool and flags it under 20 % (too little room:
# InnoDB flushes pages early to free the log) or over 30 %. Over 30 % is not judged here: since
# MariaDB 10.5 a bigger redo log only costs disk space and recovery time, and MariaDB's own
# defaults (96 MiB of log for a 128 MiB pool) are far above it.
REDO_LOG_SHARE_MIN = 0.20
REDO_LOG_SHARE_TARGET = 0.25
# Rates since the server started are extrapolated before a day of uptime (MySQLTuner says so too).
SHORT_UPTIME_S = 86400
# log_warnings from which MariaDB writes why each connection attempt was aborted to the error log.
LOG_ABORTED_CONNECTS = 4
PERCENT = 100
ROUND_TABLES_TO = 100
SECONDS_PER_MINUTE = 60
SECONDS_PER_HOUR = 3600


def percent(ratio: float | None) -> float | None:
	"""A ratio as the percentage thresholds are written in; None stays None."""
	return None if ratio is None else ratio * PERCENT


def rounded_up(count: int, step: int) -> int:
	return math.ceil(count / step) * step


def in_mib(count: int) -> int:
	"""Bytes rounded up to a whole MiB, a size every MariaDB size variable accepts."""
	return rounded_up(count, MIB)


def uptime(seconds: int) -> str:
	"""'42 min' under an hour, else '5.5 h'."""
	if seconds < SECONDS_PER_HOUR:
		return f"{seconds // SECONDS_PER_MINUTE} min"
	return f"{seconds / SECONDS_PER_HOUR:.1f} h"


def tables_seen(facts: dict) -> str:
	return "every database" if facts["tables_complete"] else "the databases this user can read"


def buffer_pool_vs_data(facts: dict) -> dict:
	pool, data = facts["buffer_pool_bytes"], facts["innodb_data_bytes"]
	small = pool < data
	return check(
		"buffer_pool_vs_data",
		WARNING if small else OK,
		pool,
		f"at least {size(data)}: the InnoDB data and indexes of {tables_seen(facts)}",
		f"buffer pool {size(pool)} for {size(data)} of InnoDB data and indexes",
		f"Set innodb_buffer_pool_size to at least {size(data)} (SET GLOBAL innodb_buffer_pool_size = "
		f"{in_mib(data)}, and in the server's config), memory allowing."
		if small
		else "",
		unit="bytes",
		limit=data,
	)


def buffer_pool_hit_ratio(facts: dict) -> dict:
	ratio, data = facts["buffer_pool_hit_ratio"], facts["innodb_data_bytes"]
	low = ratio is not None and ratio < HIT_RATIO_MIN
	if data > facts["buffer_pool_bytes"]:
		action = (
			f"Reads go to disk: set innodb_buffer_pool_size to at least {size(data)} (SET GLOBAL "
			f"innodb_buffer_pool_size = {in_mib(data)}), memory allowing."
		)
	else:
		action = (
			"The InnoDB data fits in the pool, so these are first reads since start: nothing to set "
			"unless the ratio stays low once the pool is warm."
		)
	return check(
		"buffer_pool_hit_ratio",
		WARNING if low else OK,
		percent(ratio),
		f"at least {HIT_RATIO_MIN:.0%} of InnoDB reads served from memory",
		"no InnoDB reads yet"
		if ratio is None
		else f"{ratio:.1%} of InnoDB reads served from the buffer pool",
		action if low else "",
		unit="%",
		limit=HIT_RATIO_MIN * PERCENT,
	)


def redo_log_size(facts: dict) -> dict:
	share, pool = facts["redo_log_share"], facts["buffer_pool_bytes"]
	small = share is not None and share < REDO_LOG_SHARE_MIN
	target = in_mib(pool * REDO_LOG_SHARE_TARGET)
	return check(
		"redo_log_size",
		WARNING if small else OK,
		percent(share),
		f"at least {REDO_LOG_SHARE_MIN:.0%} of the buffer pool (MySQLTuner aims at {REDO_LOG_SHARE_TARGET:.0%})",
		f"redo log {size(facts['redo_log_bytes'])}, "
		+ ("no buffer pool" if share is None else f"{share:.0%} of the {size(pool)} buffer pool"),
		f"Set innodb_log_file_size to {size(target)} ({REDO_LOG_SHARE_TARGET:.0%} of the buffer pool: "
		f"SET GLOBAL innodb_log_file_size = {target} works online from MariaDB 10.9, and in the server's config)."
		if small
		else "",
		unit="%",
		limit=REDO_LOG_SHARE_MIN * PERCENT,
	)


def connections(facts: dict) -> dict:
	limit, used, peak = facts["max_connections"], facts["connections_used"], facts["max_used_connections"]
	status = (
		CRITICAL
		if used >= CONNECTIONS_NOW_CRITICAL * limit
		else WARNING
		if peak > CONNECTIONS_PEAK_MAX * limit
		else OK
	)
	needed = math.ceil(max(used, peak) / CONNECTIONS_PEAK_MAX)
	return check(
		"connections",
		status,
		peak / limit * PERCENT,
		f"peak at most {CONNECTIONS_PEAK_MAX:.0%} of max_connections; "
		f"critical from {CONNECTIONS_NOW_CRITICAL:.0%} connected now",
		f"peak {peak / limit:.0%} of max_connections {limit} ({peak} connections); {used} connected now",
		""
		if status == OK
		else f"Set max_connections to at least {needed} (SET GLOBAL max_connections = {needed}), "
		"or lower the workers' pools and wait_timeout.",
		unit="%",
		limit=CONNECTIONS_PEAK_MAX * PERCENT,
	)


def aborted_connects(facts: dict) -> dict:
	share = facts["aborted_connect_share"]
	many = share is not None and share > ABORTED_CONNECT_SHARE_MAX
	if facts["log_warnings"] < LOG_ABORTED_CONNECTS:
		find = f"Set log_warnings = {LOG_ABORTED_CONNECTS} (now {facts['log_warnings']}) to log why each attempt failed"
	else:
		find = "Read the error log's 'Aborted connection' lines"
	return check(
		"aborted_connects",
		WARNING if many else OK,
		percent(share),
		f"at most {ABORTED_CONNECT_SHARE_MAX:.0%} of connection attempts aborted",
		f"{share or 0:.1%} of connection attempts aborted "
		f"({facts['aborted_connects']} of {facts['connections']} since start)",
		f"{find}, then fix those clients (a wrong password, a host or database not granted); raise "
		f"connect_timeout (now {facts['connect_timeout_s']} s) only if slow clients time out."
		if many
		else "",
		unit="%",
		limit=ABORTED_CONNECT_SHARE_MAX * PERCENT,
	)


def slow_queries(facts: dict) -> dict:
	share = facts["slow_query_share"]
	slow = share is not None and share > SLOW_QUERY_SHARE_MAX
	action = "Run an index analysis (Index Analysis) and fix the slowest statements."
	if not facts["slow_query_log"]:
		action = f"Set slow_query_log = ON (with log_output = TABLE) to name them. {action}"
	return check(
		"slow_queries",
		WARNING if slow else OK,
		percent(share),
		f"at most {SLOW_QUERY_SHARE_MAX:.0%} of queries slower than long_query_time",
		f"{share or 0:.1%} of queries slower than their session's long_query_time "
		f"({facts['slow_queries_per_minute']:.2f} a minute since start)",
		action if slow else "",
		unit="%",
		limit=SLOW_QUERY_SHARE_MAX * PERCENT,
	)


def table_cache(facts: dict, name: str, in_use: int, what: str) -> dict:
	"""`name` (table_open_cache or table_definition_cache) against the tables: short of them, or full
	while some databases are hidden from this user (their tables count too), it warns."""
	cache, tables = facts[name], facts["tables"]
	short = cache < tables
	full = not facts["tables_complete"] and in_use >= cache
	target = rounded_up(tables if short else cache * 2, ROUND_TABLES_TO)
	reason = f"{name} {cache} for {tables} tables of {tables_seen(facts)}; {in_use} {what} now"
	if full:
		reason += " (full: the tables of databases this user cannot read fill it)"
	return check(
		name,
		WARNING if short or full else OK,
		cache,
		f"at least the {tables} tables of {tables_seen(facts)}"
		+ ("" if facts["tables_complete"] else ", and not full"),
		reason,
		f"Set {name} to at least {target} (SET GLOBAL {name} = {target}, and in the server's config)"
		+ (", with open_files_limit above it." if name == "table_open_cache" else ".")
		if short or full
		else "",
		unit="tables",
		limit=tables,
	)


def table_open_cache(facts: dict) -> dict:
	result = table_cache(facts, "table_open_cache", facts["open_tables"], "open")
	hit = facts["table_cache_hit_ratio"]
	result["reason"] += (
		"; no table opened yet" if hit is None else f"; {hit:.1%} of table opens found in the cache"
	)
	return result


def table_definition_cache(facts: dict) -> dict:
	return table_cache(facts, "table_definition_cache", facts["open_table_definitions"], "definitions cached")


def tmp_disk_tables(facts: dict) -> dict:
	share = facts["tmp_disk_share"]
	many = share is not None and share > TMP_DISK_SHARE_MAX
	in_memory = min(facts["tmp_table_size"], facts["max_heap_table_size"])
	target = in_mib(min(in_memory * 2, TMP_TABLE_SIZE_CEILING))
	if in_memory < TMP_TABLE_SIZE_CEILING:
		action = (
			f"Set tmp_table_size and max_heap_table_size both to {size(target)} (SET GLOBAL tmp_table_size = "
			f"{target}, max_heap_table_size = {target}; now {size(facts['tmp_table_size'])} and "
			f"{size(facts['max_heap_table_size'])}, the smaller caps an in-memory temporary table). A temporary "
			"table with TEXT or BLOB columns goes to disk at any size: leave them out of GROUP BY and DISTINCT."
		)
	else:
		action = (
			f"Temporary tables may already take {size(in_memory)} in memory: shrink the result sets "
			"(DISTINCT and GROUP BY without LIMIT, TEXT or BLOB columns in them)."
		)
	return check(
		"tmp_disk_tables",
		WARNING if many else OK,
		percent(share),
		f"at most {TMP_DISK_SHARE_MAX:.0%} of temporary tables created on disk",
		"no temporary tables yet"
		if share is None
		else f"{share:.1%} of temporary tables created on disk "
		f"({facts['tmp_disk_tables']} of {facts['tmp_tables']} since start)",
		action if many else "",
		unit="%",
		limit=TMP_DISK_SHARE_MAX * PERCENT,
	)


def joins_without_indexes(facts: dict) -> dict:
	per_day = facts["joins_without_indexes_per_day"]
	many = per_day > JOINS_WITHOUT_INDEXES_PER_DAY_MAX
	reason = f"{per_day:.0f} joins without indexes a day ({facts['joins_without_indexes']} since start)"
	if facts["uptime_s"] < SHORT_UPTIME_S:
		reason += f"; up {uptime(facts['uptime_s'])} only, so the rate is extrapolated"
	return check(
		"joins_without_indexes",
		WARNING if many else OK,
		per_day,
		f"at most {JOINS_WITHOUT_INDEXES_PER_DAY_MAX} joins without indexes a day",
		reason,
		"Set log_queries_not_using_indexes = ON with the slow query log to name them, then index their join "
		f"columns (Index Analysis); raising join_buffer_size (now {size(facts['join_buffer_size'])}) only "
		"softens them."
		if many
		else "",
		unit="joins a day",
		limit=JOINS_WITHOUT_INDEXES_PER_DAY_MAX,
	)


CHECKS = (
	buffer_pool_vs_data,
	buffer_pool_hit_ratio,
	redo_log_size,
	connections,
	aborted_connects,
	slow_queries,
	table_open_cache,
	table_definition_cache,
	tmp_disk_tables,
	joins_without_indexes,
)


def mariadb(facts: dict, settings: Settings) -> dict:
	"""Every check of the server, the part as its worst."""
	return from_checks([judge(facts) for judge in CHECKS])
