"""`mysql.slow_log` read once per process and then only for rows newer than the last read.

The log table is CSV, without an index: every read of it costs the server a scan of the whole
table (about 2 µs a row), which no reader can avoid. What perf_engine adds on top is kept small:
the first read of a window takes its rows (at most MAX_ENTRIES), later reads only the rows logged
since, so a refresh costs the scan and the new rows, not a fingerprint per row again. Each read
starts at the newest kept moment, so the rows kept there come back: when they do not, the table
was emptied or rotated, and it is read again from the window's start, as is a window that starts
before the kept one. Per (server, database), at most MAX_DIGESTS of them a process.
"""

import threading
from dataclasses import dataclass, field

import pymysql

from perf_engine.core.indexes.sql_text import MAX_STATEMENT_CHARS
from perf_engine.core.observatory.fingerprint import fingerprint
from perf_engine.core.observatory.slow_log_digest import Series

MAX_ENTRIES = 100_000
MAX_KEPT = 250_000
MAX_DIGESTS = 8
ROWS_SQL = """
	SELECT UNIX_TIMESTAMP(start_time), TIME_TO_SEC(query_time) + MICROSECOND(query_time) / 1e6,
		TIME_TO_SEC(lock_time) + MICROSECOND(lock_time) / 1e6, rows_sent, rows_examined, LEFT(sql_text, %s)
	FROM mysql.slow_log WHERE db = %s AND start_time >= FROM_UNIXTIME(%s) LIMIT %s
"""


@dataclass
class Entry:
	"""One row of the log table, as a slow log file entry reads."""

	sql: str
	query_time_s: float
	lock_time_s: float
	rows_examined: int
	rows_sent: int
	at: float


@dataclass
class TableDigest:
	"""One database's kept executions from `floor` to `last_at`, per fingerprint."""

	floor: float
	last_at: float = 0.0
	at_last: int = 0  # executions kept at exactly `last_at`: read again each time, as a sentinel
	series: dict[str, Series] = field(default_factory=dict)
	kept: int = 0
	capped: bool = False  # the last read stopped at MAX_ENTRIES: newer rows wait for the next

	def still_there(self, entries: list[Entry]) -> bool:
		"""Whether the rows kept at `last_at` came back: if not, the table was emptied or rotated."""
		return not self.kept or sum(1 for e in entries if e.at == self.last_at) >= self.at_last

	def keep(self, entries: list[Entry]) -> None:
		"""Keep the entries not kept before (those after `last_at`, and new ones at it)."""
		entries = sorted(entries, key=lambda e: e.at)
		fresh = entries[self.at_last :] if self.kept else entries
		for entry in fresh:
			self.series.setdefault(fingerprint(entry.sql), Series()).add(entry)
		self.kept += len(fresh)
		if fresh:
			newest = fresh[-1].at
			self.at_last = sum(1 for e in entries if e.at == newest)
			self.last_at = newest
		self.capped = len(entries) >= MAX_ENTRIES


_digests: dict[tuple[str, int, str], TableDigest] = {}
lock = threading.Lock()  # held by whoever reads or reads into a digest


def digest_of(conn: pymysql.Connection, database: str, since: float) -> TableDigest:
	"""The database's executions since `since` at least, brought up to date by one read of the table
	(two when it was emptied or rotated); the caller holds `lock`."""
	key = (str(conn.host), int(conn.port or 0), database)
	digest = _digests.get(key)
	if digest is None or since < digest.floor or digest.kept > MAX_KEPT:
		digest = started(key, since)
	entries = rows_from(conn, database, digest.last_at if digest.kept else since)
	if not digest.still_there(entries):
		digest = started(key, digest.floor)
		entries = rows_from(conn, database, since)
	digest.keep(entries)
	return digest


def started(key: tuple[str, int, str], since: float) -> TableDigest:
	if len(_digests) >= MAX_DIGESTS and key not in _digests:
		_digests.pop(next(iter(_digests)))
	digest = _digests[key] = TableDigest(floor=since)
	return digest


def rows_from(conn: pymysql.Connection, database: str, moment: float) -> list[Entry]:
	"""The database's rows logged at or after `moment` (at most MAX_ENTRIES), in table order."""
	with conn.cursor() as cur:
		cur.execute(ROWS_SQL, (MAX_STATEMENT_CHARS + 1, database, max(moment, 1.0), MAX_ENTRIES))
		rows = cur.fetchall()
	return [
		Entry(
			text.decode(errors="replace") if isinstance(text, bytes) else text or "",
			float(query or 0),
			float(lock or 0),
			int(examined or 0),
			int(sent or 0),
			float(at),
		)
		for at, query, lock, sent, examined, text in rows
		if at is not None
	]


def forget() -> None:
	"""Drop every kept digest (tests, and a process that wants the memory back)."""
	with lock:
		_digests.clear()
