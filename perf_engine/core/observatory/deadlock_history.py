"""The site's stored deadlocks read by SQL (the CLI has no Frappe), and the server's latest one now."""

import pymysql

from perf_engine.core.observatory.deadlock_report import Deadlock, parse
from perf_engine.core.observatory.deadlock_watch import concerns, for_site, read_status
from perf_engine.core.observatory.site import Site
from perf_engine.core.observatory.threads import ACCESS_DENIED, no_process_privilege

NO_SUCH_TABLE = 1146
MAX_LISTED = 100
HISTORY_SQL = """
	SELECT name, detected_on, tables, indexes, victim_thread, thread_1, statement_1, thread_2, statement_2, note
	FROM `tabDeadlock` ORDER BY detected_on DESC LIMIT %s
"""
COLUMNS = (
	"name",
	"detected_on",
	"tables",
	"indexes",
	"victim_thread",
	"thread_1",
	"statement_1",
	"thread_2",
	"statement_2",
	"note",
)


def stored(conn: pymysql.Connection, limit: int) -> list[dict] | None:
	"""The newest stored deadlocks; None when the database has no Deadlock table."""
	try:
		with conn.cursor() as cur:
			cur.execute(HISTORY_SQL, (min(limit, MAX_LISTED),))
			return [dict(zip(COLUMNS, row, strict=True)) for row in cur.fetchall()]
	except pymysql.MySQLError as exc:
		if exc.args[0] == NO_SUCH_TABLE:
			return None
		raise


def latest(conn: pymysql.Connection, site: Site) -> tuple[Deadlock | None, str]:
	"""The server's latest deadlock when it is the site's (one status read), and a note on what was not seen."""
	try:
		deadlock = parse(read_status(conn))
	except pymysql.MySQLError as exc:
		if exc.args[0] not in ACCESS_DENIED:
			raise
		return None, no_process_privilege(conn)
	if deadlock is None:
		return None, "the server has detected no deadlock since it started"
	if not concerns(deadlock, site):
		return None, "the server's latest deadlock is not this site's"
	return for_site(deadlock, site), ""
