"""Database sessions for the observatory's bench tests: the test site's own user, the second site's, and
statements run in the background on them, each closed by the test that opened it."""

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator

import frappe
import pymysql
from frappe.utils import get_bench_path

SECOND_SITE = os.environ.get("PERF_ENGINE_SECOND_SITE", "perf-engine-test2.localhost")
WAIT_S = 20
# InnoDB refills its transaction tables only when nobody read them for 0.1 s.
POLL_S = 0.3


def site_connection(site: str | None = None, autocommit: bool = True) -> pymysql.Connection:
	"""A connection as a site's own database user to its own database (this test site's by default)."""
	if site is None:
		name, user, password = (
			frappe.conf.db_name,
			frappe.conf.db_user or frappe.conf.db_name,
			frappe.conf.db_password,
		)
	else:
		with open(os.path.join(get_bench_path(), "sites", site, "site_config.json")) as config:
			conf = json.load(config)
		name, user, password = conf["db_name"], conf.get("db_user") or conf["db_name"], conf["db_password"]
	return pymysql.connect(
		host=frappe.conf.db_host or "127.0.0.1",
		port=int(frappe.conf.db_port or 3306),
		user=user,
		password=password,
		database=name,
		autocommit=autocommit,
		charset="utf8mb4",
	)


def site_account() -> str:
	"""The test site's database account, quoted for GRANT: `'user'@'host'` as Frappe created it."""
	conn = site_connection()
	try:
		with conn.cursor() as cur:
			cur.execute("SELECT CURRENT_USER()")
			user, _, host = cur.fetchone()[0].rpartition("@")
	finally:
		conn.close()
	return f"'{user}'@'{host}'"


@contextlib.contextmanager
def process_privilege(root: pymysql.Connection) -> Iterator[None]:
	"""The site's user holds PROCESS for the block (as an operator may grant it); the site's own
	connection is opened again on both sides, since a global grant counts from the next sign-in."""
	account = site_account()
	with root.cursor() as cur:
		cur.execute(f"GRANT PROCESS ON *.* TO {account}")
	reconnect()
	try:
		yield
	finally:
		with root.cursor() as cur:
			cur.execute(f"REVOKE PROCESS ON *.* FROM {account}")
		reconnect()


def reconnect() -> None:
	frappe.db.commit()
	frappe.db.close()
	frappe.db.connect()


class Statement:
	"""One statement running on its own connection in a thread."""

	def __init__(self, conn: pymysql.Connection, sql: str):
		self.conn, self.sql, self.error = conn, sql, None
		self.thread_id = conn.thread_id()
		self.thread = threading.Thread(target=self.run, daemon=True)
		self.thread.start()

	def run(self) -> None:
		try:
			with self.conn.cursor() as cur:
				cur.execute(self.sql)
				cur.fetchall()
		except Exception as exc:
			self.error = exc

	def finished(self, timeout: float = WAIT_S) -> bool:
		self.thread.join(timeout)
		return not self.thread.is_alive()


def running(observer: pymysql.Connection, thread_id: int) -> bool:
	"""The thread runs a statement now (as the server's process list says)."""
	with observer.cursor() as cur:
		cur.execute("SELECT COMMAND FROM information_schema.PROCESSLIST WHERE ID = %s", (thread_id,))
		row = cur.fetchone()
	return bool(row) and row[0] == "Query"


def wait_until(condition, timeout: float = WAIT_S):
	deadline = time.monotonic() + timeout
	while time.monotonic() < deadline:
		if found := condition():
			return found
		time.sleep(POLL_S)
	raise AssertionError(f"condition not met within {timeout} s")
