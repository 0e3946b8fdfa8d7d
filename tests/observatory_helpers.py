"""Connections and statements the observatory tests run: a site's own users, sessions held open, sleeps."""

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pymysql

WAIT_FOR_S = 15
# InnoDB refills INNODB_TRX and INNODB_LOCK_WAITS only when they were not read for 0.1 s: a poll
# faster than that would read the same old copy forever.
POLL_S = 0.3


def create_site_user(admin: pymysql.Connection, database: str, process: bool = True) -> tuple[str, str]:
	"""A database user like a site's: every right on its own database, and PROCESS when asked."""
	name, password = f"pe_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
	with admin.cursor() as cur:
		cur.execute(f"CREATE USER '{name}'@'%' IDENTIFIED BY '{password}'")
		cur.execute(f"GRANT ALL ON `{database}`.* TO '{name}'@'%'")
		if process:
			cur.execute(f"GRANT PROCESS ON *.* TO '{name}'@'%'")
	return name, password


def drop_user(admin: pymysql.Connection, name: str) -> None:
	with admin.cursor() as cur:
		cur.execute(f"DROP USER IF EXISTS '{name}'@'%'")


def connect_as(host: str, port: int, user: str, password: str, database: str, autocommit: bool = True):
	return pymysql.connect(
		host=host,
		port=port,
		user=user,
		password=password,
		database=database,
		charset="utf8mb4",
		autocommit=autocommit,
	)


class Background:
	"""A statement run on its own connection in a thread; its error (if any) kept for the test."""

	def __init__(self, conn: pymysql.Connection, sql: str):
		self.conn, self.sql = conn, sql
		self.error: Exception | None = None
		self.result = None
		self.thread_id = conn.thread_id()
		self.thread = threading.Thread(target=self.run, daemon=True)

	def run(self) -> None:
		try:
			with self.conn.cursor() as cur:
				cur.execute(self.sql)
				self.result = cur.fetchall()
		except Exception as exc:
			self.error = exc

	def start(self) -> "Background":
		self.thread.start()
		return self

	def join(self, timeout: float = WAIT_FOR_S) -> None:
		self.thread.join(timeout)


def wait_until(condition: Callable[[], object], timeout: float = WAIT_FOR_S) -> object:
	"""The condition's first true value, polled every POLL_S; fails the test after `timeout`."""
	deadline = time.monotonic() + timeout
	while time.monotonic() < deadline:
		if found := condition():
			return found
		time.sleep(POLL_S)
	raise AssertionError(f"condition not met within {timeout} s")


@contextlib.contextmanager
def closing_all(*conns: pymysql.Connection) -> Iterator[None]:
	"""Roll back and close every connection, whatever the test did with them."""
	try:
		yield
	finally:
		for conn in conns:
			with contextlib.suppress(Exception):
				conn.rollback()
			with contextlib.suppress(Exception):
				conn.close()
