"""Who holds a table, so a DDL gives up instead of queueing behind them (and the site behind it).

A DDL needs an exclusive metadata lock on its table; while it waits for one, every later
query on the table waits behind it. So before each attempt the holders are looked up:
- exactly, from MariaDB's `metadata_lock_info` plugin when it is installed: every session
  holding a metadata lock on the table, and for how long;
- otherwise from INNODB_TRX and the process list: statements running on the table (they
  hold it), and sessions idle inside a transaction in the same database (they may hold it:
  InnoDB cannot say which tables a transaction read, so these are only suspects).
A site's own database user usually lacks the PROCESS privilege these need; then the search
says so and the short lock wait alone protects the site.
"""

import logging
from dataclasses import dataclass, field

import pymysql

logger = logging.getLogger(__name__)

ACCESS_DENIED = {1227, 1142, 1044}  # needs PROCESS, table or database access denied
QUERY_CHARS = 200
PLUGIN_SQL = "SELECT 1 FROM information_schema.PLUGINS WHERE plugin_name = 'METADATA_LOCK_INFO' AND plugin_status = 'ACTIVE'"
# LOCK_TIME_MS is how long the lock has been held; the process list adds who and what, where visible.
METADATA_LOCKS_SQL = f"""
	SELECT m.thread_id, p.user, MAX(m.lock_time_ms) / 1000, p.command, LEFT(COALESCE(p.info, t.trx_query, ''), {QUERY_CHARS})
	FROM information_schema.METADATA_LOCK_INFO m
	LEFT JOIN information_schema.PROCESSLIST p ON p.id = m.thread_id
	LEFT JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = m.thread_id
	WHERE m.table_schema = %s AND m.table_name = %s AND m.thread_id != CONNECTION_ID()
	GROUP BY m.thread_id, p.user, p.command, p.info, t.trx_query
"""
METADATA_LOCKS_ONLY_SQL = """
	SELECT thread_id, NULL, MAX(lock_time_ms) / 1000, NULL, ''
	FROM information_schema.METADATA_LOCK_INFO
	WHERE table_schema = %s AND table_name = %s AND thread_id != CONNECTION_ID()
	GROUP BY thread_id
"""
# Idle sessions inside a transaction and statements naming the table, both in this database: every
# site of a bench has its own `tabSales Invoice`.
SESSIONS_SQL = f"""
	SELECT p.id, p.user, IF(p.command = 'Sleep', TIMESTAMPDIFF(SECOND, t.trx_started, NOW()), p.time),
		p.command, LEFT(COALESCE(p.info, t.trx_query, ''), {QUERY_CHARS})
	FROM information_schema.PROCESSLIST p
	LEFT JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.id
	WHERE p.id != CONNECTION_ID() AND (
		(p.command = 'Sleep' AND t.trx_id IS NOT NULL AND p.db = %s)
		OR (p.command = 'Query' AND p.db = %s AND LOCATE(%s, p.info) > 0)
	)
"""
HOLDERS_BY_THREAD_ONLY = "this database user lacks the PROCESS privilege, so holders are named by thread only"
NO_PROCESS_PRIVILEGE = (
	"this database user lacks the PROCESS privilege, so the session holding the table cannot be "
	"named; only the short lock wait protects the site (GRANT PROCESS ON *.* to this user, "
	"or INSTALL SONAME 'metadata_lock_info' as an admin)"
)


@dataclass(frozen=True)
class Holder:
	"""A session holding (or, without the plugin, perhaps holding) the table."""

	thread_id: int
	user: str | None
	age_s: float
	idle: bool  # inside a transaction, waiting for its client
	query: str

	def describe(self) -> str:
		state = "idle in a transaction" if self.idle else "running"
		who = self.user or "user unknown"
		what = f": {self.query}" if self.query else ""
		return f"thread {self.thread_id} ({who}, {state} for {self.age_s:.0f} s{what})"


@dataclass
class HolderSearch:
	"""The sessions found, whether they certainly hold the table, and what could not be seen."""

	holders: list[Holder] = field(default_factory=list)
	exact: bool = False  # from metadata_lock_info
	limitation: str = ""

	def blocking(self, wait_s: float) -> list[Holder]:
		"""Holders that have had the table for the whole wait or longer: waiting behind them is pointless.

		Without the plugin an idle session only may hold the table, so only statements that
		name it count before an attempt."""
		return [h for h in self.holders if h.age_s >= wait_s and (self.exact or not h.idle)]

	def suspects(self, wait_s: float) -> list[Holder]:
		"""Every holder old enough to explain a lock wait that just ran out."""
		return [h for h in self.holders if h.age_s >= wait_s]


def plugin_installed(conn: pymysql.Connection) -> bool:
	with conn.cursor() as cur:
		cur.execute(PLUGIN_SQL)
		return cur.fetchone() is not None


def rows_to_holders(rows: tuple) -> list[Holder]:
	return [
		Holder(int(thread), user, float(age or 0), command == "Sleep", (query or "").strip())
		for thread, user, age, command, query in rows
	]


def find(conn: pymysql.Connection, schema: str, table: str) -> HolderSearch:
	"""The sessions holding `schema`.`table` now, as exactly as this user's privileges allow."""
	exact = plugin_installed(conn)
	queries = (
		[(METADATA_LOCKS_SQL, (schema, table)), (METADATA_LOCKS_ONLY_SQL, (schema, table))]
		if exact
		else [(SESSIONS_SQL, (schema, schema, table))]
	)
	for sql, args in queries:
		try:
			with conn.cursor() as cur:
				cur.execute(sql, args)
				rows = cur.fetchall()
		except pymysql.MySQLError as exc:
			if exc.args[0] not in ACCESS_DENIED:
				raise
			logger.info("holder search denied: %s", exc)
			continue
		limitation = HOLDERS_BY_THREAD_ONLY if sql is METADATA_LOCKS_ONLY_SQL else ""
		return HolderSearch(rows_to_holders(rows), exact, limitation)
	return HolderSearch([], False, NO_PROCESS_PRIVILEGE)
