"""The statements that cost the site the most, per fingerprint, over a window, ranked by total time.

Per fingerprint: executions, total, average, p95 (nearest rank, where the source has each
execution's time: the slow log) and max time, rows examined and sent (a ratio of
ROWS_RATIO_FLAG or more examined per row sent is flagged: an index is missing or unused),
lock time, first and last seen, the slowest execution as the example, and its tables.
The source is the slow log (table, else file) when it is on, else performance_schema's
digests; `source` picks one. The answer names the source and what it could not see.
"""

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

import pymysql

from perf_engine.core.errors import InvalidInput
from perf_engine.core.indexes import server_variables
from perf_engine.core.indexes.slow_log import SLOW_LOG_TAIL_BYTES
from perf_engine.core.latency.percentiles import nearest_rank
from perf_engine.core.observatory import executions, slow_log_table
from perf_engine.core.observatory.executions import DIGESTS, SLOW_LOG_FILE, SLOW_LOG_TABLE, Execution
from perf_engine.core.observatory.fingerprint import fingerprint, from_digest
from perf_engine.core.observatory.slow_log_digest import Series, digest_of
from perf_engine.core.observatory.tables import tables_named

T = TypeVar("T")
HOUR_S = 3600
DEFAULT_WINDOW_S = HOUR_S
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
ROWS_RATIO_FLAG = 100
VIEW_BUDGET_S = 0.03  # a page's share of slow log reading per call: it answers in well under 100 ms
EXAMPLE_CHARS = 2000
AUTO = "auto"
SOURCES = (AUTO, SLOW_LOG_TABLE, SLOW_LOG_FILE, DIGESTS)
NO_SOURCE = (
	"No source of statement times is on: turn on the slow query log (SET GLOBAL slow_query_log = 1, "
	"log_output = 'TABLE', long_query_time = 1) or performance_schema (performance_schema = ON in the server config)"
)
DIGEST_NOTE = (
	"performance_schema digests: counts and times are totals since each digest was first seen "
	"(server start or the last TRUNCATE of the summary), for digests last seen in the window; no p95"
)


@dataclass
class Group:
	"""One fingerprint's executions, summed."""

	fingerprint: str
	count: int = 0
	total_time_s: float = 0.0
	max_time_s: float = 0.0
	lock_time_s: float = 0.0
	rows_examined: int = 0
	rows_sent: int = 0
	first_seen: float | None = None
	last_seen: float | None = None
	example: str = ""
	example_time_s: float = -1.0
	times: list[float] | None = field(default_factory=list)

	def add(self, execution: Execution) -> None:
		self.count += execution.count
		self.total_time_s += execution.query_time_s
		slowest = execution.query_time_s if execution.max_time_s is None else execution.max_time_s
		self.max_time_s = max(self.max_time_s, slowest)
		self.lock_time_s += execution.lock_time_s
		self.rows_examined += execution.rows_examined
		self.rows_sent += execution.rows_sent
		first = execution.first_at if execution.first_at is not None else execution.at
		if first is not None and (self.first_seen is None or first < self.first_seen):
			self.first_seen = first
		if execution.at is not None and (self.last_seen is None or execution.at > self.last_seen):
			self.last_seen = execution.at
		if slowest > self.example_time_s:
			self.example, self.example_time_s = execution.sql[:EXAMPLE_CHARS], slowest
		if execution.max_time_s is None and self.times is not None:
			self.times.append(execution.query_time_s)
		else:
			self.times = None  # a digest's sums: no single execution's time

	def add_series(self, series: Series, start: int, since: float) -> None:
		"""A kept series' executions from `start` on, summed at once."""
		times = series.times[start:]
		if not times:
			return
		self.count += len(times)
		self.total_time_s += sum(times)
		slowest = max(times)
		self.max_time_s = max(self.max_time_s, slowest)
		self.lock_time_s += sum(series.locks[start:])
		self.rows_examined += sum(series.examined[start:])
		self.rows_sent += sum(series.sent[start:])
		first, last = series.ats[start], series.ats[-1]
		self.first_seen = first if self.first_seen is None else min(self.first_seen, first)
		self.last_seen = last if self.last_seen is None else max(self.last_seen, last)
		example_time, example_at, example = series.slowest
		if example_at < since:  # the slowest is older than the window: the latest stands for it
			example_time, example = slowest, series.latest
		if example_time > self.example_time_s:
			self.example, self.example_time_s = example, example_time
		if self.times is not None:
			self.times.extend(times)

	def as_dict(self) -> dict:
		ratio = self.rows_examined / self.rows_sent if self.rows_sent else None
		return {
			"fingerprint": self.fingerprint,
			"count": self.count,
			"total_time_s": round(self.total_time_s, 6),
			"avg_time_s": round(self.total_time_s / self.count, 6) if self.count else 0.0,
			"p95_time_s": p95(self.times),
			"max_time_s": round(self.max_time_s, 6),
			"lock_time_s": round(self.lock_time_s, 6),
			"rows_examined": self.rows_examined,
			"rows_sent": self.rows_sent,
			"rows_examined_per_sent": round(ratio, 1) if ratio is not None else None,
			"rows_flag": self.rows_examined >= ROWS_RATIO_FLAG * max(self.rows_sent, 1),
			"first_seen": self.first_seen,
			"last_seen": self.last_seen,
			"example": self.example,
			"tables": tables_named(self.example or self.fingerprint),
			"suggested_index": None,  # filled in by `suggested_index.add_suggestions` when asked
		}


def p95(times: list[float] | None) -> float | None:
	if not times:
		return None
	return round(sorted(times)[nearest_rank(95, len(times)) - 1], 6)


def group(found: Iterable[Execution], groups: dict[str, Group] | None = None) -> list[Group]:
	"""Executions summed per fingerprint (into `groups` when given), most total time first (then most
	executions, then the text)."""
	groups = {} if groups is None else groups
	for execution in found:
		key = fingerprint(execution.sql) if execution.max_time_s is None else from_digest(execution.sql)
		target = groups.get(key)
		if target is None:
			target = groups[key] = Group(key)
		target.add(execution)
	return sorted(groups.values(), key=lambda g: (-g.total_time_s, -g.count, g.fingerprint))


def from_file(
	path: str,
	database: str | None,
	since: float,
	notes: list[str],
	budget_s: float | None,
	on_progress: Callable[[int, int], None] | None,
) -> tuple[dict[str, Group], list[Execution], dict]:
	"""The file's kept executions of `database` (every one when None) since `since`, grouped, the
	entries still being written and how much of the tail is read; notes say what the read left out."""
	digest = digest_of(path, SLOW_LOG_TAIL_BYTES)
	with digest.lock:
		pending = digest.refresh(budget_s, on_progress)
		coverage = digest.coverage()
		groups: dict[str, Group] = {}
		for (schema, key), series in digest.series.items():
			if database is None or schema == database:
				add_kept(groups, key, series, since)
		if not coverage.complete:
			notes.append(
				f"The slow log is still being read, newest entries first: {coverage.as_dict()['read_fraction']:.0%} "
				"so far; refresh for the rest."
			)
		elif coverage.truncated:
			notes.append(f"Only the file's last {SLOW_LOG_TAIL_BYTES // (1024 * 1024)} MB were read.")
		if digest.undated:
			notes.append(f"{digest.undated} entries without a timestamp were left out.")
	fresh = [
		Execution(e.sql, e.query_time_s, e.lock_time_s, e.rows_examined, e.rows_sent, e.at)
		for e in pending
		if e.at is not None and e.at >= since and (database is None or e.schema == database)
	]
	return groups, fresh, coverage.as_dict()


def from_table(conn: pymysql.Connection, database: str, since: float, notes: list[str]) -> dict[str, Group]:
	"""The log table's executions of `database` since `since`, grouped (only new rows are read)."""
	groups: dict[str, Group] = {}
	with slow_log_table.lock:
		digest = slow_log_table.digest_of(conn, database, since)
		for key, series in digest.series.items():
			add_kept(groups, key, series, since)
	if digest.capped:
		notes.append(f"Only {slow_log_table.MAX_ENTRIES:,} executions were read; refresh for the newer ones.")
	return groups


def add_kept(groups: dict[str, Group], key: str, series: Series, since: float) -> None:
	"""A kept series' executions since `since`, summed into its fingerprint's group."""
	start = series.since(since)
	if start < len(series.ats):
		groups.setdefault(key, Group(key)).add_series(series, start, since)


def chosen_source(variables: dict[str, str], source: str, slow_log_file: str | None) -> str | None:
	"""The source to read: the one asked for, else the slow log (table, then file), else digests."""
	if source not in SOURCES:
		raise InvalidInput(f"source must be one of {', '.join(SOURCES)}, got {source!r}")
	if source != AUTO:
		return source
	if slow_log_file:
		return SLOW_LOG_FILE
	output = (variables.get("log_output") or "").upper()
	if variables.get("slow_query_log") == "ON":
		if "TABLE" in output:
			return SLOW_LOG_TABLE
		if "FILE" in output:
			return SLOW_LOG_FILE
	if variables.get("performance_schema") == "ON":
		return DIGESTS
	return None


def top_queries(
	conn: pymysql.Connection | None,
	database: str | None,
	since: float | None = None,
	limit: int = DEFAULT_LIMIT,
	source: str = AUTO,
	slow_log_file: str | None = None,
	now: float | None = None,
	budget_s: float | None = None,
	on_progress: Callable[[int, int], None] | None = None,
) -> dict:
	"""The `limit` fingerprints of most total time since `since` (an hour ago by default), with the source
	read. A slow log file is read for at most `budget_s` a call (None: its whole tail), newest first."""
	if not 1 <= limit <= MAX_LIMIT:
		raise InvalidInput(f"limit must be from 1 to {MAX_LIMIT}, got {limit}")
	now = time.time() if now is None else now
	since = now - DEFAULT_WINDOW_S if since is None else since
	variables = server_variables.read(conn) if conn is not None else {}
	chosen = chosen_source(variables, source, slow_log_file)
	notes: list[str] = []
	coverage = {"complete": True, "read_fraction": 1.0}
	found: list[Execution] = []
	groups: dict[str, Group] = {}
	if chosen is None:
		notes.append(NO_SOURCE)
	elif chosen == SLOW_LOG_FILE:
		path = slow_log_file or variables.get("slow_query_log_file") or ""
		try:
			groups, found, coverage = from_file(path, database, since, notes, budget_s, on_progress)
		except OSError as exc:
			notes.append(
				f"The slow log file {path or '(none set)'} cannot be read by this process: {exc.strerror or exc}"
			)
		if database is None:
			notes.append("Every database in the file was read: name one to keep to a site's.")
	elif chosen == SLOW_LOG_TABLE:
		groups = read_or_note(lambda: from_table(conn, database, since, notes), chosen, notes) or {}
	else:
		found = read_or_note(lambda: executions.from_digests(conn, database, since), chosen, notes) or []
		notes.append(DIGEST_NOTE)
	ranked = group(found, groups)
	return {
		"queries": [g.as_dict() for g in ranked[:limit]],
		"fingerprints": len(ranked),
		"executions": sum(g.count for g in ranked),
		"source": chosen,
		"since": since,
		"until": now,
		"notes": notes,
		"coverage": coverage,
	}


def read_or_note(read: Callable[[], T], source: str, notes: list[str]) -> T | None:
	"""The source's executions; a source this user may not read is a note (and None), not a failure."""
	try:
		return read()
	except pymysql.MySQLError as exc:
		notes.append(
			f"Could not read the {source} ({exc.args[-1]}): grant this database user SELECT on it, "
			"or read it as an admin user (perf-engine --db-user)."
		)
		return None
