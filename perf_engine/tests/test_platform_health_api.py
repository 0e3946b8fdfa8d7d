"""Scheduler and MariaDB health on the test site, turned warning or critical by real conditions."""

import contextlib
import os
from collections.abc import Iterator

import frappe
import pymysql
from frappe.utils.scheduler import enqueue_events
from prometheus_client.parser import text_string_to_metric_families

from perf_engine.tests import rest

MB = 1024 * 1024
# Room above the data for the "ok" pool, so other databases growing meanwhile do not flip it.
POOL_HEADROOM = 512 * MB
SMALL_POOL = 32 * MB
FILLER_DB = "pe_ihr_buffer_pool"
FILLER_ROW_BYTES = 4000


def checks(part: dict) -> dict:
	return {check["check"]: check for check in part["checks"]}


@contextlib.contextmanager
def scheduler_enabled(value: int) -> Iterator[None]:
	"""System Settings' Enable Scheduler set (and committed, for the request's own connection), then restored."""
	original = frappe.db.get_single_value("System Settings", "enable_scheduler")
	frappe.db.set_single_value("System Settings", "enable_scheduler", value)
	frappe.db.commit()
	try:
		yield
	finally:
		frappe.db.set_single_value("System Settings", "enable_scheduler", original)
		frappe.db.commit()


def root_connection() -> pymysql.Connection:
	"""MariaDB as its administrator (SET GLOBAL needs it), as .ci/bench-tier reaches it."""
	return pymysql.connect(
		host=frappe.conf.db_host or "127.0.0.1",
		port=int(frappe.conf.db_port or 3306),
		user=os.environ.get("PERF_ENGINE_DB_ROOT_USER", "root"),
		password=os.environ.get("PERF_ENGINE_DB_ROOT_PASSWORD", ""),
		autocommit=True,
	)


@contextlib.contextmanager
def buffer_pool(root: pymysql.Connection) -> Iterator:
	"""Hands a setter for innodb_buffer_pool_size; the server's own size is put back afterwards."""
	with root.cursor() as cur:
		cur.execute("SELECT @@innodb_buffer_pool_size")
		original = cur.fetchone()[0]

	def resize(size: int) -> None:
		with root.cursor() as cur:
			cur.execute("SET GLOBAL innodb_buffer_pool_size = %s", (size,))

	try:
		yield resize
	finally:
		resize(original)


def innodb_bytes(root: pymysql.Connection) -> int:
	with root.cursor() as cur:
		cur.execute(
			"SELECT SUM(data_length + index_length) FROM information_schema.TABLES WHERE engine = 'InnoDB'"
		)
		return int(cur.fetchone()[0])


def load_filler(root: pymysql.Connection, size: int) -> None:
	"""A table of this test's own database holding more than `size` bytes, with fresh statistics."""
	rows = size // FILLER_ROW_BYTES + 2048
	with root.cursor() as cur:
		cur.execute(f"CREATE DATABASE IF NOT EXISTS `{FILLER_DB}`")
		cur.execute(
			f"CREATE TABLE `{FILLER_DB}`.filler (id INT PRIMARY KEY, pad VARCHAR(4000)) ENGINE=InnoDB"
		)
		cur.execute(
			f"INSERT INTO `{FILLER_DB}`.filler SELECT seq, REPEAT('x', 4000) FROM `{FILLER_DB}`.seq_1_to_{rows}"
		)
		cur.execute(f"ANALYZE TABLE `{FILLER_DB}`.filler")


class TestPlatformHealth(rest.ApiTestCase):
	def health(self) -> dict:
		return rest.call("perf_engine.api.get_health", self.manager).message["subsystems"]

	def test_scheduler_off_is_critical_and_on_is_ok(self):
		"""Enable Scheduler off makes the scheduler part critical, naming the switch; on, that check is ok."""
		with scheduler_enabled(0):
			part = self.health()["scheduler"]
			self.assertEqual(part["status"], "critical")
			self.assertEqual(
				checks(part)["enabled"]["reason"], "scheduler off: System Settings: Enable Scheduler is off"
			)
			self.assertIn("enable-scheduler", part["action"])
		with scheduler_enabled(1):
			self.assertEqual(checks(self.health()["scheduler"])["enabled"]["status"], "ok")

	def test_overdue_jobs_are_critical_until_the_scheduler_runs_them(self):
		"""With no scheduler process the oldest due job is late; one real tick and a worker bring the lag to ok."""
		with scheduler_enabled(1):
			frappe.db.set_value(
				"Scheduled Job Type",
				{"stopped": 0},
				"last_execution",
				frappe.utils.add_to_date(None, hours=-3),
			)
			frappe.db.commit()
			lag = checks(self.health()["scheduler"])["oldest_due_lag_s"]
			self.assertEqual(lag["status"], "critical")
			self.assertGreaterEqual(lag["value"], 3600)
			frappe.db.commit()
			self.assertTrue(enqueue_events(frappe.local.site), "the tick enqueued nothing")
			rest.run_burst_worker("default,long,short")
			lag = checks(self.health()["scheduler"])["oldest_due_lag_s"]
			self.assertEqual(lag["status"], "ok", lag)

	def test_a_failed_scheduled_job_warns_until_it_is_gone(self):
		"""A Scheduled Job Log marked Failed in the last day makes failing_jobs a warning naming the job."""
		logged = frappe.get_all("Scheduled Job Log", pluck="scheduled_job_type", distinct=True)
		job_type = frappe.get_all(
			"Scheduled Job Type", {"name": ("not in", logged or [""])}, pluck="name", limit=1
		)[0]
		self.assertNotIn(job_type, checks(self.health()["scheduler"])["failing_jobs"]["reason"])
		log = frappe.get_doc(
			{"doctype": "Scheduled Job Log", "scheduled_job_type": job_type, "status": "Failed"}
		)
		log.insert(ignore_permissions=True)
		frappe.db.commit()
		try:
			failing = checks(self.health()["scheduler"])["failing_jobs"]
			self.assertIn(failing["status"], ("warning", "critical"))
			self.assertIn(f"{job_type} (1/1)", failing["reason"])
		finally:
			frappe.delete_doc("Scheduled Job Log", log.name, force=True, ignore_permissions=True)
			frappe.db.commit()

	def test_a_buffer_pool_smaller_than_the_data_warns(self):
		"""With the pool above the server's InnoDB data the check is ok; shrunk below it (SET GLOBAL), a warning
		with the size to set; the server's own pool size is restored."""
		root = root_connection()
		try:
			with buffer_pool(root) as resize:
				resize(innodb_bytes(root) + POOL_HEADROOM)
				part = self.health()["mariadb"]
				self.assertEqual(checks(part)["buffer_pool_vs_data"]["status"], "ok", part)
				if innodb_bytes(root) <= SMALL_POOL:
					load_filler(root, SMALL_POOL)
				resize(SMALL_POOL)
				part = self.health()["mariadb"]
				pool_check = checks(part)["buffer_pool_vs_data"]
				self.assertEqual(pool_check["status"], "warning")
				self.assertIn("Raise innodb_buffer_pool_size", pool_check["action"])
				self.assertIn(part["status"], ("warning", "critical"))
		finally:
			with root.cursor() as cur:
				cur.execute(f"DROP DATABASE IF EXISTS `{FILLER_DB}`")
			root.close()

	def test_metrics_carry_the_scheduler_and_mariadb_gauges(self):
		"""The Prometheus endpoint exposes the scheduler and MariaDB gauges and their health lines."""
		text = rest.call("perf_engine.api.metrics", self.manager, http_method="GET").text
		for name in (
			"perf_engine_scheduler_enabled",
			"perf_engine_scheduler_oldest_due_lag_seconds",
			"perf_engine_mariadb_buffer_pool_bytes",
			"perf_engine_mariadb_connections",
		):
			self.assertIn(name, text)
		families = {family.name: family for family in text_string_to_metric_families(text)}
		subsystems = {sample.labels["subsystem"] for sample in families["perf_engine_health"].samples}
		self.assertLessEqual({"scheduler", "mariadb"}, subsystems)
