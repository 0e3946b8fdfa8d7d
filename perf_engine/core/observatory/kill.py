"""Stop one running statement of the site: `KILL QUERY ID`, never the connection, never another's thread.

The thread is read again from the process list at the moment of the kill, whatever the caller
saw: it must be signed in as the site's user, use the site's database, not be a system thread
nor this connection, and be running a statement. The kill names the statement's own query id
(`KILL QUERY ID`), so a thread that moved on to its next statement in the meantime keeps it:
at most the statement that was checked is stopped.
"""

from dataclasses import dataclass

import pymysql

from perf_engine.core.errors import InvalidInput, NotPermitted
from perf_engine.core.observatory.site import Site
from perf_engine.core.observatory.threads import threads_by_id

UNKNOWN_QUERY_ID = 1094


@dataclass
class KillResult:
	"""What was asked to stop, and whether it was still running when the kill arrived."""

	thread_id: int
	query_id: int
	user: str
	database: str | None
	statement: str
	running_s: float
	killed: bool
	message: str

	def as_dict(self) -> dict:
		return dict(vars(self))


def kill_query(
	conn: pymysql.Connection, site: Site, thread_id: int, query_id: int | None = None
) -> KillResult:
	"""KILL QUERY ID of the statement `thread_id` runs now (or only `query_id`, when given), after the rules."""
	if not isinstance(thread_id, int) or isinstance(thread_id, bool) or thread_id <= 0:
		raise InvalidInput(f"A thread id is a positive whole number, got {thread_id!r}")
	with conn.cursor() as cur:
		cur.execute("SELECT CONNECTION_ID()")
		if cur.fetchone()[0] == thread_id:
			raise NotPermitted(f"Thread {thread_id} is this connection itself: not killed")
	thread = threads_by_id(conn, {thread_id}).get(thread_id)
	if thread is None:
		# Without PROCESS another user's threads are invisible: from here they look like no thread at all.
		raise NotPermitted(
			f"Thread {thread_id} is not one of this site's threads (it is not running, or belongs to a "
			"database user this site cannot see): not killed"
		)
	if thread.system:
		raise NotPermitted(
			f"Thread {thread_id} is a system thread ({thread.user}, {thread.command}): never killed"
		)
	if not site.owns(thread.user, thread.db):
		raise NotPermitted(
			f"Thread {thread_id} is not this site's (user {thread.user}, database {thread.db}; this site is "
			f"user {site.user}, database {site.database}): not killed"
		)
	if thread.idle:
		raise InvalidInput(
			f"Thread {thread_id} runs no statement (idle for {thread.time_s:.0f} s): nothing to kill"
		)
	if query_id is not None and query_id != thread.query_id:
		raise InvalidInput(
			f"Thread {thread_id} now runs another statement (query id {thread.query_id}, not {query_id}): nothing killed"
		)
	killed, message = True, f"stopped after {thread.time_s:.1f} s"
	try:
		with conn.cursor() as cur:
			cur.execute(f"KILL QUERY ID {int(thread.query_id)}")
	except pymysql.MySQLError as exc:
		if exc.args[0] != UNKNOWN_QUERY_ID:
			raise
		killed, message = False, "the statement finished before the kill arrived"
	return KillResult(
		thread_id, thread.query_id, thread.user, thread.db, thread.statement, thread.time_s, killed, message
	)
