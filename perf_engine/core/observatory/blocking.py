"""Who waits on whom: InnoDB row and table lock waits, metadata lock waits, and the chains they make.

InnoDB's waits come from INNODB_LOCK_WAITS (the waiting and the blocking transaction, the lock
asked for: table, index, mode). Metadata lock waits are read where MariaDB's
`metadata_lock_info` plugin is installed: a thread of the site in a "Waiting for ... metadata
lock" state waits on the other threads holding a metadata lock on a table its statement names.
A chain follows each waiter to its root blocker, the thread that waits on no one: named with
its statement, or "idle in transaction for N s" (the usual culprit: a session that took locks
and went quiet). Only the site's waiters are listed; a blocker outside the site is named by
thread id alone, never by its statement.
"""

from dataclasses import asdict, dataclass

import pymysql

from perf_engine.core.observatory.site import Site
from perf_engine.core.observatory.threads import ACCESS_DENIED, Thread

INNODB = "innodb"
METADATA = "metadata"
MAX_WAITS = 1000
INNODB_WAITS_SQL = """
	SELECT r.trx_mysql_thread_id, b.trx_mysql_thread_id, TIMESTAMPDIFF(SECOND, r.trx_wait_started, NOW()),
		l.lock_table, l.lock_index, l.lock_mode, l.lock_type
	FROM information_schema.INNODB_LOCK_WAITS w
	JOIN information_schema.INNODB_TRX r ON r.trx_id = w.requesting_trx_id
	JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id
	LEFT JOIN information_schema.INNODB_LOCKS l ON l.lock_id = w.requested_lock_id
	LIMIT %s
"""
PLUGIN_SQL = "SELECT 1 FROM information_schema.PLUGINS WHERE plugin_name = 'METADATA_LOCK_INFO' AND plugin_status = 'ACTIVE'"
METADATA_HOLDERS_SQL = """
	SELECT DISTINCT thread_id, table_name, lock_mode FROM information_schema.METADATA_LOCK_INFO
	WHERE table_schema = %s AND table_name != '' LIMIT %s
"""
METADATA_WAIT_STATE = "metadata lock"
NO_METADATA_PLUGIN = (
	"metadata lock waits are shown without their blocker: MariaDB's metadata_lock_info plugin is not "
	"installed (an admin can run INSTALL SONAME 'metadata_lock_info')"
)


@dataclass
class LockWait:
	"""One thread waiting for a lock another thread holds."""

	waiter: int
	blocker: int | None
	wait_s: int
	kind: str  # innodb or metadata
	lock_table: str = ""
	lock_index: str = ""
	lock_mode: str = ""


def innodb_waits(conn: pymysql.Connection) -> list[LockWait] | None:
	"""Every InnoDB lock wait on the server; None without the PROCESS privilege."""
	try:
		with conn.cursor() as cur:
			cur.execute(INNODB_WAITS_SQL, (MAX_WAITS,))
			rows = cur.fetchall()
	except pymysql.MySQLError as exc:
		if exc.args[0] in ACCESS_DENIED:
			return None
		raise
	return [
		LockWait(
			int(waiter),
			int(blocker),
			int(wait or 0),
			INNODB,
			table or "",
			index or "",
			f"{mode or ''}".strip(),
		)
		for waiter, blocker, wait, table, index, mode, _kind in rows
	]


def metadata_waits(conn: pymysql.Connection, site: Site, waiting: list[Thread]) -> tuple[list[LockWait], str]:
	"""Metadata lock waits of the site's threads, with their holders when the plugin shows them."""
	waiting = [t for t in waiting if METADATA_WAIT_STATE in t.state.lower()]
	if not waiting:
		return [], ""
	with conn.cursor() as cur:
		cur.execute(PLUGIN_SQL)
		installed = cur.fetchone() is not None
		holders = []
		if installed:
			try:
				cur.execute(METADATA_HOLDERS_SQL, (site.database, MAX_WAITS))
				holders = cur.fetchall()
			except pymysql.MySQLError as exc:
				if exc.args[0] not in ACCESS_DENIED:
					raise
				installed = False
	found: list[LockWait] = []
	for thread in waiting:
		statement = thread.statement.lower()
		blockers = {
			(int(holder), table, mode)
			for holder, table, mode in holders
			if int(holder) != thread.thread_id and names_table(statement, table)
		}
		for holder, table, mode in sorted(blockers):
			found.append(
				LockWait(thread.thread_id, holder, int(thread.time_s), METADATA, table, "", mode or "")
			)
		if not blockers:
			found.append(LockWait(thread.thread_id, None, int(thread.time_s), METADATA))
	return found, "" if installed else NO_METADATA_PLUGIN


def names_table(statement: str, table: str) -> bool:
	"""The statement names the table, quoted or not (Frappe's tables have spaces: `tabSales Invoice`)."""
	table = table.lower()
	return f"`{table}`" in statement or (" " not in table and table in statement)


def chains(waits: list[LockWait], threads: dict[int, Thread], site: Site) -> list[dict]:
	"""Each root blocker (a blocker that waits on no one) with every thread waiting on it, directly or not."""
	blocked_by: dict[int, set[int]] = {}
	for wait in waits:
		if wait.blocker is not None:
			blocked_by.setdefault(wait.blocker, set()).add(wait.waiter)
	waiting = {w.waiter for w in waits if w.blocker is not None}
	roots = [b for b in blocked_by if b not in waiting] or cycle_members(blocked_by)
	found = []
	for root in sorted(roots):
		behind, frontier, depth = [], [(root, 0)], {root: 0}
		while frontier:
			current, level = frontier.pop(0)
			for waiter in sorted(blocked_by.get(current, ())):
				if waiter not in depth:
					depth[waiter] = level + 1
					behind.append({"thread_id": waiter, "waits_for": current, "depth": level + 1})
					frontier.append((waiter, level + 1))
		found.append(
			{"root": describe(root, threads, site), "waiting": behind, "blocked_threads": len(behind)}
		)
	return sorted(found, key=lambda chain: -chain["blocked_threads"])


def cycle_members(blocked_by: dict[int, set[int]]) -> list[int]:
	"""When every blocker also waits (a cycle not yet broken), the lowest thread id stands for the cycle."""
	return [min(blocked_by)] if blocked_by else []


def describe(thread_id: int, threads: dict[int, Thread], site: Site) -> dict:
	"""A blocker as the page shows it: the site's threads with their statement, others by id alone."""
	thread = threads.get(thread_id)
	if thread is None:
		return {"thread_id": thread_id, "site": False, "doing": "not visible to this database user"}
	if not site.owns(thread.user, thread.db):
		return {"thread_id": thread_id, "site": False, "doing": "a thread outside this site"}
	return {"site": True, **thread.as_dict()}


def wait_dict(wait: LockWait) -> dict:
	return asdict(wait)
