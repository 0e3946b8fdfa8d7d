"""Notice a new deadlock cheaply: the `Innodb_deadlocks` counter, then at most one status read a minute.

Each check reads one status counter. Only when it grew since the last check, and no
`SHOW ENGINE INNODB STATUS` ran in the last STATUS_INTERVAL_S, is the status read (it takes
InnoDB's lock-system mutex and returns tens of KB) and its latest deadlock parsed. A check held
back by the interval leaves the counter where it was, so the next check reads it. A deadlock
is kept for a site when a table it locked is in the site's database; a transaction on other
databases keeps its thread and locks but not its statement. Reading the status needs the
PROCESS privilege: without it the check says so and what to grant.
"""

import time
from dataclasses import dataclass

import pymysql

from perf_engine.core.observatory.deadlock_report import Deadlock, parse
from perf_engine.core.observatory.site import Site
from perf_engine.core.observatory.threads import ACCESS_DENIED, no_process_privilege

STATUS_INTERVAL_S = 60
COUNTER_SQL = "SHOW GLOBAL STATUS LIKE 'Innodb_deadlocks'"
STATUS_SQL = "SHOW ENGINE INNODB STATUS"
OTHER_SITE_STATEMENT = "(a statement outside this site's database)"
RAW_LEFT_OUT = "raw text left out: it names other databases"


@dataclass
class WatchState:
	"""What the last check saw: the counter, and when the status was last read (epoch seconds)."""

	deadlocks: int | None = None
	status_read_at: float | None = None


@dataclass
class WatchResult:
	state: WatchState
	deadlock: Deadlock | None = None  # the site's new deadlock, when there is one
	status_read: bool = False
	note: str = ""


def deadlock_count(conn: pymysql.Connection) -> int:
	with conn.cursor() as cur:
		cur.execute(COUNTER_SQL)
		row = cur.fetchone()
	return int(row[1]) if row else 0


def read_status(conn: pymysql.Connection) -> str:
	with conn.cursor() as cur:
		cur.execute(STATUS_SQL)
		row = cur.fetchone()
	status = row[2] if row else ""
	return status.decode(errors="replace") if isinstance(status, bytes) else status or ""


def check(conn: pymysql.Connection, site: Site, state: WatchState, now: float | None = None) -> WatchResult:
	"""One check: the counter, and the status when the counter grew and the interval allows."""
	now = time.time() if now is None else now
	count = deadlock_count(conn)
	if state.deadlocks is None:
		return WatchResult(WatchState(count, state.status_read_at), note="first check: counter noted")
	if count <= state.deadlocks:
		return WatchResult(WatchState(count, state.status_read_at))
	if state.status_read_at is not None and now - state.status_read_at < STATUS_INTERVAL_S:
		return WatchResult(
			state, note=f"{count - state.deadlocks} new deadlock(s); status read again within a minute"
		)
	try:
		status = read_status(conn)
	except pymysql.MySQLError as exc:
		if exc.args[0] not in ACCESS_DENIED:
			raise
		return WatchResult(WatchState(count, now), note=no_process_privilege(conn))
	deadlock = parse(status)
	if deadlock is None or not concerns(deadlock, site):
		return WatchResult(
			WatchState(count, now), status_read=True, note="the latest deadlock is not this site's"
		)
	return WatchResult(WatchState(count, now), for_site(deadlock, site), status_read=True)


def concerns(deadlock: Deadlock, site: Site) -> bool:
	"""A table of the site's database is locked in it (or, unread, the raw text names the database)."""
	if deadlock.transactions and deadlock.databases():
		return site.database in deadlock.databases()
	return f"`{site.database}`" in deadlock.raw


def for_site(deadlock: Deadlock, site: Site) -> Deadlock:
	"""The deadlock as the site may see it: statements on other databases, and then the raw text, left out."""
	for transaction in deadlock.transactions:
		databases = {database for database, _ in transaction.tables()}
		if databases and site.database not in databases:
			transaction.statement = OTHER_SITE_STATEMENT
	if deadlock.databases() - {site.database}:
		deadlock.raw = ""
		deadlock.problems.append(RAW_LEFT_OUT)
	return deadlock
