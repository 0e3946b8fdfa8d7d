"""The record of a kill run from a shell: a *Query Kill Log* row written by SQL, as the site writes it.

The site records its own kills through Frappe; `perf-engine queries running --kill` has no
Frappe, so it writes the same row itself when the site's table is there (a database without
it, or a user who may not write it, gets the kill printed only, and is told so).
"""

import getpass
import socket
import uuid
from datetime import datetime

import pymysql

from perf_engine.core.observatory.kill import KillResult

TABLE = "tabQuery Kill Log"
NO_SUCH_TABLE = 1146
NAME_CHARS = 10
INSERT_SQL = f"""
	INSERT INTO `{TABLE}` (name, creation, modified, modified_by, owner, docstatus, idx, killed_at, outcome,
		source, thread_id, query_id, db_user, running_s, statement, message)
	VALUES (%(name)s, %(now)s, %(now)s, 'Administrator', 'Administrator', 0, 0, %(now)s, %(outcome)s, %(source)s,
		%(thread_id)s, %(query_id)s, %(db_user)s, %(running_s)s, %(statement)s, %(message)s)
"""


def shell_user() -> str:
	"""Who ran the command: the OS user and host, since a shell has no Frappe user."""
	return f"perf-engine CLI ({getpass.getuser()} on {socket.gethostname()})"


def record(conn: pymysql.Connection, result: KillResult, now: datetime) -> str | None:
	"""The row's name, or None when this database has no Query Kill Log table."""
	name = uuid.uuid4().hex[:NAME_CHARS]
	values = {
		"name": name,
		"now": now,
		"outcome": "Stopped" if result.killed else "Already Finished",
		"source": shell_user(),
		"thread_id": result.thread_id,
		"query_id": result.query_id,
		"db_user": result.user,
		"running_s": result.running_s,
		"statement": result.statement,
		"message": result.message,
	}
	try:
		with conn.cursor() as cur:
			cur.execute(INSERT_SQL, values)
	except pymysql.MySQLError as exc:
		if exc.args[0] == NO_SUCH_TABLE:
			return None
		raise
	return name
