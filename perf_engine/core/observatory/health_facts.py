"""The database part of health: the site's statements over the threshold, lock waits, recent deadlocks.

One running-queries refresh (bounded by the number of threads) and one count of the site's
*Deadlock* history of the last hour (a small table of perf_engine's own, read by its index on
the detection time). A database without that table (the CLI on a bare database) has no count.
"""

from datetime import datetime, timedelta

import pymysql

from perf_engine.core.observatory.running import running
from perf_engine.core.observatory.site import Site

DEADLOCK_WINDOW = timedelta(hours=1)
NO_SUCH_TABLE = 1146
DEADLOCKS_SQL = "SELECT COUNT(*) FROM `tabDeadlock` WHERE detected_on >= %s"


def read(conn: pymysql.Connection, site: Site, threshold_s: float, now: datetime) -> dict:
	"""Counts and the longest wait; `now` is the site's wall-clock time (history is stored in it)."""
	found = running(conn, site, threshold_s)
	waits = found["lock_waits"]
	return {
		"threshold_s": threshold_s,
		"long_queries": len(found["queries"]),
		"longest_query_s": max((q["time_s"] for q in found["queries"]), default=0),
		"lock_waits": len(waits),
		"longest_lock_wait_s": max((w["wait_s"] for w in waits), default=0),
		"idle_in_transaction": found["idle_in_transaction"],
		"deadlocks_last_hour": recent_deadlocks(conn, now),
		"notes": found["notes"],
	}


def recent_deadlocks(conn: pymysql.Connection, now: datetime) -> int | None:
	try:
		with conn.cursor() as cur:
			cur.execute(DEADLOCKS_SQL, (now - DEADLOCK_WINDOW,))
			return int(cur.fetchone()[0])
	except pymysql.MySQLError as exc:
		if exc.args[0] == NO_SUCH_TABLE:
			return None
		raise
