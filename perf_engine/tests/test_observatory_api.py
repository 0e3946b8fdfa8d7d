"""The database observatory over REST: who may read and kill, kills refused for another site's and another
user's thread, a kill recorded, top queries answered, and a real deadlock stored once and listed."""

import frappe
import pymysql

from perf_engine.services import observatory
from perf_engine.tests import rest
from perf_engine.tests.database_sessions import (
	SECOND_SITE,
	Statement,
	process_privilege,
	running,
	site_connection,
	wait_until,
)
from perf_engine.tests.test_platform_health_api import root_connection

TABLE = "__perf_engine_deadlock_test"
LOCK_WAIT_S = 20


class TestObservatoryApi(rest.ApiTestCase):
	def test_guest_and_plain_users_get_nothing_and_only_system_managers_kill(self):
		"""Guest and a plain user are refused every method; a Performance Manager reads but may not kill."""
		for method in ("running_queries", "top_queries", "deadlocks"):
			for who in (None, self.plain):
				response = rest.call(f"perf_engine.api.{method}", who, http_method="GET")
				self.assertIn(response.status_code, (401, 403), (method, who))
		answer = rest.call("perf_engine.api.running_queries", self.performance_manager, http_method="GET")
		self.assertEqual(answer.status_code, 200, answer.text)
		self.assertEqual(answer.message["site"]["database"], frappe.conf.db_name)
		refused = rest.call("perf_engine.api.kill_query", self.performance_manager, thread_id=1)
		self.assertEqual(refused.status_code, 403, refused.text)

	def test_another_sites_thread_and_another_users_thread_are_never_killed(self):
		"""The second site's sleep and a root sleep on this site's database: 403 each, whether the site's user
		can see them (PROCESS granted) or not (as Frappe creates it), and both run on until the test ends them."""
		watcher = root_connection()
		other_site = site_connection(SECOND_SITE)
		root = root_connection()
		root.select_db(frappe.conf.db_name)
		try:
			theirs = Statement(other_site, "SELECT SLEEP(60)")
			roots = Statement(root, "SELECT SLEEP(60)")
			for statement in (theirs, roots):
				wait_until(lambda s=statement: running(watcher, s.thread_id))
			self.assert_refused((theirs, roots), "not one of this site's threads")
			with process_privilege(watcher):
				self.assert_refused((theirs, roots), "not this site's")
				seen = rest.call("perf_engine.api.running_queries", self.manager, http_method="GET").message
				self.assertNotIn(theirs.thread_id, [t["thread_id"] for t in seen["queries"]])
			for statement in (theirs, roots):
				self.assertTrue(running(watcher, statement.thread_id), "the refused statement runs on")
				with watcher.cursor() as cur:
					cur.execute(f"KILL QUERY {statement.thread_id}")  # the test's own cleanup, as root
				self.assertTrue(statement.finished())
		finally:
			for conn in (watcher, other_site, root):
				conn.close()

	def assert_refused(self, statements: tuple[Statement, ...], why: str) -> None:
		for statement in statements:
			response = rest.call("perf_engine.api.kill_query", self.manager, thread_id=statement.thread_id)
			self.assertEqual(response.status_code, 403, response.text)
			self.assertIn(why, response.text)

	def test_the_sites_own_statement_is_killed_and_recorded(self):
		"""KILL QUERY of the site's own 30 s sleep stops it; a Query Kill Log names who, what and the outcome."""
		worker, watcher = site_connection(), root_connection()
		try:
			sleeping = Statement(worker, "SELECT SLEEP(30)")
			wait_until(lambda: running(watcher, sleeping.thread_id))
			response = rest.call("perf_engine.api.kill_query", self.manager, thread_id=sleeping.thread_id)
			self.assertEqual(response.status_code, 200, response.text)
			self.assertTrue(sleeping.finished(10))
			self.assertTrue(response.message["killed"])
			log = frappe.get_doc("Query Kill Log", response.message["log"])
			self.assertEqual(
				(log.killed_by, log.statement, log.outcome, log.thread_id),
				(rest.MANAGER_USER, "SELECT SLEEP(30)", "Stopped", sleeping.thread_id),
			)
			log.delete(ignore_permissions=True)
			frappe.db.commit()
		finally:
			worker.close()
			watcher.close()

	def test_top_queries_answers_the_documented_shape_and_refuses_a_bad_window(self):
		"""Whatever source the server has on, the answer names it; an unreadable `since` is a 417 with why."""
		answer = rest.call("perf_engine.api.top_queries", self.manager, http_method="GET", since="day")
		self.assertEqual(answer.status_code, 200, answer.text)
		self.assertTrue({"queries", "source", "notes", "since", "until"} <= set(answer.message))
		bad = rest.call("perf_engine.api.top_queries", self.manager, http_method="GET", since="soon")
		self.assertEqual(bad.status_code, 417, bad.text)

	def test_a_real_deadlock_on_the_sites_database_is_stored_once_and_listed(self):
		"""Two site sessions deadlock: the minute check stores one Deadlock with both statements, the table,
		the index and the victim, notifies, and a second check stores nothing more."""
		root = root_connection()
		one, two = site_connection(autocommit=False), site_connection(autocommit=False)
		name = None
		try:
			with process_privilege(root):
				name = self.deadlock_stored_once(one, two)
		finally:
			for conn in (one, two, root):
				conn.close()
			frappe.db.sql_ddl(f"DROP TABLE IF EXISTS `{TABLE}`")
			if name:
				frappe.db.delete("Notification Log", {"document_type": "Deadlock", "document_name": name})
				frappe.delete_doc("Deadlock", name, force=True, ignore_permissions=True)
			frappe.db.commit()

	def deadlock_stored_once(self, one: pymysql.Connection, two: pymysql.Connection) -> str:
		"""Make the deadlock between two checks; the stored Deadlock's name."""
		frappe.db.sql_ddl(
			f"CREATE TABLE `{TABLE}` (id INT PRIMARY KEY, code VARCHAR(10), UNIQUE KEY code_index (code)) ENGINE=InnoDB"
		)
		frappe.db.sql(f"INSERT INTO `{TABLE}` VALUES (1, 'A'), (2, 'B')")
		frappe.db.commit()
		frappe.cache.delete_value(observatory.WATCH_KEY)
		self.assertIsNone(observatory.check_deadlocks_now(), "the first check notes the counter")
		victim = deadlock(one, two)
		name = observatory.check_deadlocks_now()
		self.assertIsNotNone(name)
		stored = frappe.get_doc("Deadlock", name)
		self.assertEqual((stored.tables, stored.indexes, stored.victim_thread), (TABLE, "code_index", victim))
		self.assertEqual(
			{stored.statement_1, stored.statement_2},
			{f"UPDATE `{TABLE}` SET id = id WHERE code = '{code}'" for code in "AB"},
		)
		self.assertTrue(
			frappe.db.exists("Notification Log", {"document_type": "Deadlock", "document_name": name})
		)
		self.assertIsNone(observatory.check_deadlocks_now(), "the same deadlock is stored once")
		listed = rest.call("perf_engine.api.deadlocks", self.performance_manager, http_method="GET").message
		self.assertEqual(listed[0]["name"], name)
		return name


def deadlock(one: pymysql.Connection, two: pymysql.Connection) -> int:
	"""Opposite lock orders on a unique index; the thread id of the session that got error 1213."""
	first, second = (f"UPDATE `{TABLE}` SET id = id WHERE code = '{code}'" for code in "AB")
	for conn in (one, two):
		with conn.cursor() as cur:
			cur.execute(f"SET SESSION innodb_lock_wait_timeout = {LOCK_WAIT_S}")
	with one.cursor() as cur:
		cur.execute(first)
	with two.cursor() as cur:
		cur.execute(second)
	waiting = Statement(one, second)
	wait_until(lambda: lock_waiting(waiting.thread_id))
	try:
		with two.cursor() as cur:
			cur.execute(first)
	except pymysql.MySQLError as exc:
		assert exc.args[0] == 1213, exc
		waiting.finished()
		one.rollback()
		return two.thread_id()
	waiting.finished()
	two.rollback()
	assert waiting.error is not None and waiting.error.args[0] == 1213, waiting.error
	return one.thread_id()


def lock_waiting(thread_id: int) -> bool:
	conn = root_connection()
	try:
		with conn.cursor() as cur:
			cur.execute(
				"SELECT 1 FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = %s AND trx_state = 'LOCK WAIT'",
				(thread_id,),
			)
			return cur.fetchone() is not None
	finally:
		conn.close()
