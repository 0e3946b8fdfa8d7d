"""Apply or drop an index online, without ever queueing the site's queries behind the DDL.

Table and columns are re-read from information_schema (identifiers are never trusted
from input). Long-running transactions are checked first; the DDL runs with
ALGORITHM=INPLACE, LOCK=NONE (MariaDB refuses instead of silently locking) under a short
session lock_wait_timeout, so a blocked ALTER gives up quickly and is retried, instead of
holding the metadata lock that every later query would wait behind.
"""

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import pymysql

from perf_engine.core.errors import InvalidInput
from perf_engine.core.indexes.catalog import columns as table_columns
from perf_engine.core.indexes.catalog import indexes as all_indexes
from perf_engine.core.indexes.recommendation import ADD, DROP, ddl, quote

LOCK_WAIT_TIMEOUT_S = 5
RETRIES = 3
RETRY_PAUSE_S = 5
LONG_TRANSACTION_S = 60
ACCESS_DENIED = 1227
LOCK_WAIT_ERRORS = {1205}  # ER_LOCK_WAIT_TIMEOUT, also raised for metadata lock waits
LONG_TRX_SQL = """
	SELECT trx_mysql_thread_id, TIMESTAMPDIFF(SECOND, trx_started, NOW()), LEFT(COALESCE(trx_query, ''), 200)
	FROM information_schema.INNODB_TRX
	WHERE trx_started <= NOW() - INTERVAL %s SECOND AND trx_mysql_thread_id != CONNECTION_ID()
		AND (trx_tables_in_use > 0 OR trx_rows_locked > 0 OR trx_rows_modified > 0)
"""


@dataclass
class ApplyResult:
	status: str  # Applied or Failed
	duration_s: float
	attempts: int
	message: str

	def as_dict(self) -> dict:
		return asdict(self)


def validated(
	conn: pymysql.Connection, schema: str, table: str, columns: tuple[str, ...]
) -> tuple[str, tuple[str, ...]]:
	"""Exact table and column names as the server knows them; anything else is refused."""
	with conn.cursor() as cur:
		cur.execute(
			"SELECT table_name FROM information_schema.TABLES WHERE table_schema = %s AND table_name = %s",
			(schema, table),
		)
		row = cur.fetchone()
	if not row:
		raise InvalidInput(f"No table {table!r} in database {schema!r}: nothing was changed")
	known = {c.lower(): c for c in table_columns(conn, schema, row[0])}
	unknown = [c for c in columns if c.lower() not in known]
	if unknown or not columns:
		raise InvalidInput(
			f"Table {row[0]!r} has no column(s) {', '.join(map(repr, unknown)) or '(none given)'}: nothing was changed"
		)
	return row[0], tuple(known[c.lower()] for c in columns)


def long_transactions(conn: pymysql.Connection, older_than_s: int) -> list[tuple]:
	"""Old transactions that are working or hold locks: an ALTER would queue behind them.

	An idle transaction that only read the table also holds it, but InnoDB cannot say which
	tables it read; the short lock_wait_timeout is what protects the site from those."""
	try:
		with conn.cursor() as cur:
			cur.execute(LONG_TRX_SQL, (older_than_s,))
			return list(cur.fetchall())
	except pymysql.MySQLError as exc:
		if exc.args[0] != ACCESS_DENIED:
			raise
		# A site's own database user has no PROCESS privilege; the short wait still protects.
		return []


def existing_index(
	conn: pymysql.Connection, schema: str, table: str, columns: tuple[str, ...], name: str, kind: str
) -> str | None:
	"""The name of an index that already makes this change unnecessary."""
	for index in all_indexes(conn, schema).get(table, []):
		if kind == ADD and tuple(c.lower() for c in index.columns) == tuple(c.lower() for c in columns):
			return index.name
		if kind == DROP and index.name == name:
			return index.name
	return None


def apply(
	conn: pymysql.Connection,
	schema: str,
	table: str,
	columns: tuple[str, ...],
	index_name: str,
	kind: str = ADD,
	lock_wait_timeout_s: int = LOCK_WAIT_TIMEOUT_S,
	retries: int = RETRIES,
	retry_pause_s: float = RETRY_PAUSE_S,
	long_transaction_s: int = LONG_TRANSACTION_S,
	on_progress: Callable[[int, int], None] | None = None,
) -> ApplyResult:
	"""Add or drop one index online; idempotent, never hanging, always saying what happened."""
	table, columns = validated(conn, schema, table, columns)
	if kind == DROP and index_name == "PRIMARY":
		raise InvalidInput("The PRIMARY key is never dropped")
	started = time.monotonic()
	existing = existing_index(conn, schema, table, columns, index_name, kind)
	if (kind == ADD and existing) or (kind == DROP and not existing):
		note = f"already in place as {existing}" if existing else "already gone"
		return ApplyResult("Applied", 0.0, 0, note)
	statement = ddl(table, index_name, columns, kind)
	error = ""
	for attempt in range(1, retries + 2):
		if on_progress:
			on_progress(attempt, retries + 1)
		blockers = long_transactions(conn, long_transaction_s)
		if blockers:
			error = f"{len(blockers)} transaction(s) open longer than {long_transaction_s} s (thread {blockers[0][0]}, {blockers[0][1]} s)"
		else:
			try:
				with conn.cursor() as cur:
					cur.execute("SET SESSION lock_wait_timeout = %s", (lock_wait_timeout_s,))
					cur.execute(statement)
				return ApplyResult("Applied", round(time.monotonic() - started, 3), attempt, statement)
			except pymysql.MySQLError as exc:
				error = f"{exc.args[1] if len(exc.args) > 1 else exc}"
				if exc.args[0] not in LOCK_WAIT_ERRORS:
					return ApplyResult("Failed", round(time.monotonic() - started, 3), attempt, error)
		if attempt <= retries:
			time.sleep(retry_pause_s)
	return ApplyResult(
		"Failed",
		round(time.monotonic() - started, 3),
		retries + 1,
		f"gave up after {retries + 1} attempts: {error}",
	)


def set_ignored(conn: pymysql.Connection, schema: str, table: str, index_name: str, ignored: bool) -> str:
	"""MariaDB's reversible trial before a drop: the optimizer stops using the index, data stays."""
	names = {i.name for i in all_indexes(conn, schema).get(table, [])}
	if index_name not in names or index_name == "PRIMARY":
		raise InvalidInput(f"Table {table!r} has no secondary index {index_name!r}")
	statement = f"ALTER TABLE {quote(table)} ALTER INDEX {quote(index_name)} {'IGNORED' if ignored else 'NOT IGNORED'}"
	with conn.cursor() as cur:
		cur.execute(statement)
	return statement
