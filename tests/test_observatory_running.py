"""Running queries: the site's statements over the threshold, never another site's, lock waits with their
holder and waiter, blocking chains to the root blocker, and what a user without PROCESS is told."""

import pymysql
import pytest

from perf_engine.core.observatory.running import running
from perf_engine.core.observatory.site import Site, of_connection
from tests.observatory_helpers import (
	Background,
	closing_all,
	connect_as,
	create_site_user,
	drop_user,
	wait_until,
)
from tests.services import mariadb_settings, temporary_database

LOCK_WAIT_S = 20


@pytest.fixture
def two_sites(db, database_name):
	"""This test's database with a site user (with PROCESS), and a second site: its own database and user."""
	server = mariadb_settings()
	with temporary_database() as other_database:
		mine = create_site_user(db, database_name)
		theirs = create_site_user(db, other_database)
		with db.cursor() as cur:
			cur.execute("CREATE TABLE items (id INT PRIMARY KEY, qty INT) ENGINE=InnoDB")
			cur.execute("INSERT INTO items VALUES (1, 0), (2, 0), (3, 0)")

		def connect(which: str, autocommit: bool = True) -> pymysql.Connection:
			user, password = mine if which == "mine" else theirs
			database = database_name if which == "mine" else other_database
			return connect_as(server.db_host, server.db_port, user, password, database, autocommit)

		yield connect, Site(database_name, mine[0]), Site(other_database, theirs[0])
		drop_user(db, mine[0])
		drop_user(db, theirs[0])


def test_only_the_sites_own_statements_over_the_threshold_are_listed(two_sites):
	"""A long statement of this site is listed with its statement and time; another site's and a short one are not."""
	connect, site, other = two_sites
	observer, mine, theirs = connect("mine"), connect("mine"), connect("theirs")
	with closing_all(observer, mine, theirs):
		long_one = Background(mine, "SELECT SLEEP(4) AS mine_sleeping").start()
		other_one = Background(theirs, "SELECT SLEEP(4) AS theirs_sleeping").start()
		found = wait_until(lambda: (r := running(observer, site, threshold_s=1))["queries"] and r)
		assert [q["thread_id"] for q in found["queries"]] == [long_one.thread_id]
		assert found["queries"][0]["statement"] == "SELECT SLEEP(4) AS mine_sleeping"
		assert found["queries"][0]["time_s"] >= 1
		assert found["site"] == {"database": site.database, "user": site.user}
		assert running(observer, site, threshold_s=3600)["queries"] == []
		theirs_seen = running(connect("theirs"), other, threshold_s=1)
		assert other_one.thread_id in [q["thread_id"] for q in theirs_seen["queries"]]
		long_one.join()
		other_one.join()


def test_a_lock_wait_names_its_holder_and_waiter_and_the_chain_its_idle_root(two_sites):
	"""An idle transaction holding a row blocks B, B blocks C: the waits name table, index and holder, and the
	chain's root is the idle session, 'idle in transaction', with B at depth 1 and C at depth 2."""
	connect, site, _ = two_sites
	observer = connect("mine")
	holder, middle, last = connect("mine", False), connect("mine", False), connect("mine", False)
	with closing_all(observer, holder, middle, last):
		for conn in (middle, last):
			with conn.cursor() as cur:
				cur.execute(f"SET SESSION innodb_lock_wait_timeout = {LOCK_WAIT_S}")
		with holder.cursor() as cur:
			cur.execute("UPDATE items SET qty = 1 WHERE id = 1")
		with middle.cursor() as cur:
			cur.execute("UPDATE items SET qty = 1 WHERE id = 2")
		waiting_middle = Background(middle, "UPDATE items SET qty = 2 WHERE id = 1").start()
		wait_until(lambda: len(running(observer, site, 3600)["lock_waits"]) == 1)
		waiting_last = Background(last, "UPDATE items SET qty = 3 WHERE id = 2").start()
		found = wait_until(lambda: (r := running(observer, site, 3600)) and len(r["lock_waits"]) >= 2 and r)
		pairs = {(w["waiter"], w["blocker"]) for w in found["lock_waits"]}
		assert (waiting_middle.thread_id, holder.thread_id()) in pairs
		assert (waiting_last.thread_id, middle.thread_id()) in pairs
		first = next(w for w in found["lock_waits"] if w["waiter"] == middle.thread_id())
		assert (first["kind"], first["lock_table"], first["lock_index"]) == (
			"innodb",
			f"`{site.database}`.`items`",
			"PRIMARY",
		)
		assert first["waiter_statement"] == "UPDATE items SET qty = 2 WHERE id = 1"
		(chain,) = found["chains"]
		assert chain["root"]["thread_id"] == holder.thread_id()
		assert chain["root"]["doing"].startswith("idle in transaction for ")
		assert chain["root"]["transaction"]["rows_locked"] >= 1
		assert [(w["thread_id"], w["depth"]) for w in chain["waiting"]] == [
			(middle.thread_id(), 1),
			(last.thread_id(), 2),
		]
		holder.rollback()
		waiting_middle.join()
		middle.rollback()
		waiting_last.join()
		assert waiting_middle.error is None and waiting_last.error is None


def test_without_the_process_privilege_the_reading_says_what_to_grant(db, database_name):
	"""A site user without PROCESS still sees its own long statement, and is told to GRANT PROCESS."""
	server = mariadb_settings()
	user, password = create_site_user(db, database_name, process=False)
	observer = connect_as(server.db_host, server.db_port, user, password, database_name)
	worker = connect_as(server.db_host, server.db_port, user, password, database_name)
	try:
		with closing_all(observer, worker):
			sleeping = Background(worker, "SELECT SLEEP(3)").start()
			site = of_connection(observer)
			assert site == Site(database_name, user)
			found = wait_until(lambda: (r := running(observer, site, 1))["queries"] and r)
			assert [q["thread_id"] for q in found["queries"]] == [sleeping.thread_id]
			assert any(f"GRANT PROCESS ON *.* TO '{user}'@'%'" in note for note in found["notes"])
			assert found["lock_waits"] == [] and found["queries"][0]["transaction"] is None
			sleeping.join()
	finally:
		drop_user(db, user)


def test_a_metadata_lock_wait_names_its_holder_where_the_plugin_is_installed(private_mariadb):
	"""With metadata_lock_info installed, an ALTER waiting for a table an idle transaction read is shown
	waiting on that session, which is the chain's root; without the plugin the wait is shown with a note."""
	admin = private_mariadb.connect()
	with admin.cursor() as cur:
		cur.execute(
			"SELECT COUNT(*) FROM information_schema.PLUGINS WHERE plugin_name = 'METADATA_LOCK_INFO'"
		)
		was_installed = bool(cur.fetchone()[0])
		cur.execute("CREATE DATABASE mdl_site")
		cur.execute("CREATE TABLE mdl_site.items (id INT PRIMARY KEY)")
	user, password = create_site_user(admin, "mdl_site")
	site = Site("mdl_site", user)

	def connect(autocommit: bool = True) -> pymysql.Connection:
		return connect_as("127.0.0.1", private_mariadb.port, user, password, "mdl_site", autocommit)

	observer, holder, altering = connect(), connect(False), connect()
	try:
		with closing_all(observer, holder, altering):
			for installed in (True, False):
				set_plugin(admin, installed)
				with holder.cursor() as cur:
					cur.execute("SELECT * FROM items")
				alter = Background(altering, "ALTER TABLE items ADD COLUMN note INT").start()
				found = wait_until(lambda: (r := running(observer, site, 3600))["lock_waits"] and r)
				(wait,) = found["lock_waits"]
				assert (wait["waiter"], wait["kind"]) == (alter.thread_id, "metadata")
				if installed:
					assert (wait["blocker"], wait["lock_table"]) == (holder.thread_id(), "items")
					assert found["chains"][0]["root"]["thread_id"] == holder.thread_id()
				else:
					assert wait["blocker"] is None and any("metadata_lock_info" in n for n in found["notes"])
				holder.rollback()
				alter.join()
				assert alter.error is None
				with altering.cursor() as cur:
					cur.execute("ALTER TABLE items DROP COLUMN note")
	finally:
		set_plugin(admin, was_installed)
		with admin.cursor() as cur:
			cur.execute("DROP DATABASE mdl_site")
		drop_user(admin, user)
		admin.close()


def set_plugin(admin: pymysql.Connection, installed: bool) -> None:
	with admin.cursor() as cur:
		cur.execute(
			"SELECT COUNT(*) FROM information_schema.PLUGINS WHERE plugin_name = 'METADATA_LOCK_INFO'"
		)
		if bool(cur.fetchone()[0]) != installed:
			cur.execute(("INSTALL" if installed else "UNINSTALL") + " SONAME 'metadata_lock_info'")
