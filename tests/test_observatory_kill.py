"""KILL QUERY of the site's own statement stops it and keeps the connection; every other thread is refused."""

import time

import pymysql
import pytest

from perf_engine.core.errors import InvalidInput, NotPermitted
from perf_engine.core.observatory.kill import kill_query
from perf_engine.core.observatory.site import Site
from tests.observatory_helpers import (
	Background,
	closing_all,
	connect_as,
	create_site_user,
	drop_user,
	wait_until,
)
from tests.services import mariadb_settings

LONG_SLEEP = "SELECT SLEEP(30)"


def running_statement(conn: pymysql.Connection, thread_id: int, for_ms: float = 0) -> bool:
	"""Whether the thread runs a statement, for at least `for_ms` so far (a threshold can then see it)."""
	with conn.cursor() as cur:
		cur.execute("SELECT COMMAND, TIME_MS FROM information_schema.PROCESSLIST WHERE ID = %s", (thread_id,))
		row = cur.fetchone()
	return bool(row) and row[0] == "Query" and float(row[1]) >= for_ms


@pytest.fixture
def site_users(db, database_name):
	"""Connections as this database's site user (with PROCESS), and a way to make more."""
	server = mariadb_settings()
	user, password = create_site_user(db, database_name)

	def connect() -> pymysql.Connection:
		return connect_as(server.db_host, server.db_port, user, password, database_name)

	yield connect, Site(database_name, user)
	drop_user(db, user)


def test_the_sites_own_statement_is_stopped_and_its_connection_kept(site_users):
	"""KILL QUERY ID stops a 30 s sleep at once; the same connection answers its next statement."""
	connect, site = site_users
	observer, worker = connect(), connect()
	with closing_all(observer, worker):
		sleeping = Background(worker, LONG_SLEEP).start()
		wait_until(lambda: running_statement(observer, sleeping.thread_id))
		started = time.monotonic()
		result = kill_query(observer, site, sleeping.thread_id)
		sleeping.join(10)
		assert not sleeping.thread.is_alive() and time.monotonic() - started < 10
		assert (result.killed, result.statement, result.user) == (True, LONG_SLEEP, site.user)
		with worker.cursor() as cur:
			cur.execute("SELECT 1")
			assert cur.fetchone() == (1,)


def test_another_users_thread_is_refused_and_keeps_running(site_users, db):
	"""A root thread on the site's own database is not the site's: refused, and it runs on."""
	connect, site = site_users
	observer = connect()
	with closing_all(observer):
		sleeping = Background(db, "SELECT SLEEP(3)").start()
		wait_until(lambda: running_statement(observer, sleeping.thread_id))
		with pytest.raises(NotPermitted, match="not this site's"):
			kill_query(observer, site, sleeping.thread_id)
		assert running_statement(observer, sleeping.thread_id)
		sleeping.join()
		assert sleeping.error is None


def test_idle_threads_this_connection_and_a_moved_on_statement_are_refused(site_users):
	"""An idle thread, the observer's own thread, an unknown id, and a query id that is no longer running."""
	connect, site = site_users
	observer, idle, worker = connect(), connect(), connect()
	with closing_all(observer, idle, worker):
		with pytest.raises(InvalidInput, match="runs no statement"):
			kill_query(observer, site, idle.thread_id())
		with pytest.raises(NotPermitted, match="this connection itself"):
			kill_query(observer, site, observer.thread_id())
		with pytest.raises(NotPermitted, match="not one of this site's threads"):
			kill_query(observer, site, 2**40)
		with pytest.raises(InvalidInput, match="positive whole number"):
			kill_query(observer, site, 0)
		sleeping = Background(worker, "SELECT SLEEP(3)").start()
		wait_until(lambda: running_statement(observer, sleeping.thread_id))
		with pytest.raises(InvalidInput, match="now runs another statement"):
			kill_query(observer, site, sleeping.thread_id, query_id=1)
		sleeping.join()
		assert sleeping.result == ((0,),), "the sleep ran to its end"


def test_a_system_thread_is_never_killed(private_mariadb):
	"""The event scheduler's daemon thread is refused even for a site whose user it would match."""
	admin = private_mariadb.connect()
	with admin.cursor() as cur:
		cur.execute("SET GLOBAL event_scheduler = ON")
	try:
		daemon = wait_until(lambda: daemon_thread(admin))
		with pytest.raises(NotPermitted, match="system thread"):
			kill_query(admin, Site("mysql", "event_scheduler"), daemon)
	finally:
		with admin.cursor() as cur:
			cur.execute("SET GLOBAL event_scheduler = OFF")
		admin.close()


def daemon_thread(conn: pymysql.Connection) -> int | None:
	with conn.cursor() as cur:
		cur.execute("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'event_scheduler'")
		row = cur.fetchone()
	return row and row[0]
