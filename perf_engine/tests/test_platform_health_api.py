"""Scheduler health on the test site, turned warning or critical by real conditions; MariaDB's checks as the
REST API and the metrics carry them (their verdicts are the core tier's, on a server the tests own)."""

import contextlib
import os
from collections.abc import Iterator

import frappe
import pymysql
from frappe.utils.scheduler import enqueue_events
from prometheus_client.parser import text_string_to_metric_families

from perf_engine.core.health.mariadb_rules import CHECKS
from perf_engine.core.health.verdicts import size
from perf_engine.tests import rest

MARIADB_CHECKS = [judge.__name__ for judge in CHECKS]


def job_that_never_runs() -> None:
	"""The method of a Scheduled Job Type the test makes, stopped so the scheduler never runs it."""


FAILING_METHOD = f"{__name__}.job_that_never_runs"


def most_failures_of_any_job() -> int:
	"""The most failed runs any job type logged in the last day, as the scheduler check counts them."""
	since = frappe.utils.add_to_date(None, days=-1)
	counts = frappe.db.sql(
		"""SELECT COUNT(*) FROM `tabScheduled Job Log` WHERE status = 'Failed' AND modified > %s
		GROUP BY scheduled_job_type ORDER BY COUNT(*) DESC LIMIT 1""",
		(since,),
	)
	return int(counts[0][0]) if counts else 0


def remove_job_type(name: str) -> None:
	frappe.db.delete("Scheduled Job Log", {"scheduled_job_type": name})
	frappe.db.delete("Scheduled Job Type", name)
	frappe.db.commit()


def checks(part: dict) -> dict:
	return {check["check"]: check for check in part["checks"]}


def pool_size() -> int:
	return int(frappe.db.sql("SELECT @@innodb_buffer_pool_size")[0][0])


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
		"""A job type of the test's own, failing more often in the last day than any other, is listed as a
		warning with its counts; once its logs are gone it is not named."""
		job_type = frappe.get_doc(
			{"doctype": "Scheduled Job Type", "method": FAILING_METHOD, "frequency": "Daily", "stopped": 1}
		).insert(ignore_permissions=True)
		self.addCleanup(remove_job_type, job_type.name)
		# Other jobs may have failed on this reused site: this one fails more, so it is listed first.
		failures = most_failures_of_any_job() + 1
		for _ in range(failures):
			frappe.get_doc(
				{"doctype": "Scheduled Job Log", "scheduled_job_type": job_type.name, "status": "Failed"}
			).insert(ignore_permissions=True)
		frappe.db.commit()
		failing = checks(self.health()["scheduler"])["failing_jobs"]
		self.assertIn(failing["status"], ("warning", "critical"))
		self.assertIn(f"{job_type.name} ({failures}/{failures})", failing["reason"])
		frappe.db.delete("Scheduled Job Log", {"scheduled_job_type": job_type.name})
		frappe.db.commit()
		self.assertNotIn(job_type.name, checks(self.health()["scheduler"])["failing_jobs"]["reason"])

	def test_mariadb_checks_carry_values_in_their_thresholds_units(self):
		"""Over REST every MariaDB check has its value and limit in its threshold's unit: the buffer pool in
		bytes (innodb_buffer_pool_size) against the data in bytes; the site's own database user sees only its
		databases' tables, and the thresholds say so. No verdict: the shared server's state is not this test's
		(tests/test_mariadb_health.py turns each check ok and warning on a server of its own)."""
		before = pool_size()
		found = checks(self.health()["mariadb"])
		after = pool_size()
		self.assertEqual(list(found), MARIADB_CHECKS)
		pool = found["buffer_pool_vs_data"]
		self.assertEqual(pool["unit"], "bytes")
		self.assertIn(pool["value"], (before, after))
		self.assertIn(size(pool["limit"]), pool["threshold"])
		for check in found.values():
			self.assertIn(check["status"], ("ok", "warning", "critical"), check)
			self.assertIn(check["unit"], ("bytes", "%", "tables", "joins a day"), check)
		for name in ("table_open_cache", "table_definition_cache"):
			self.assertIn("the databases this user can read", found[name]["threshold"])
			self.assertEqual(found[name]["unit"], "tables")

	def test_metrics_carry_the_scheduler_and_mariadb_gauges(self):
		"""The Prometheus endpoint exposes the scheduler and MariaDB gauges and their health lines."""
		text = rest.call("perf_engine.api.metrics", self.manager, http_method="GET").text
		for name in (
			"perf_engine_scheduler_enabled",
			"perf_engine_scheduler_oldest_due_lag_seconds",
			"perf_engine_mariadb_buffer_pool_bytes",
			"perf_engine_mariadb_connections",
			"perf_engine_mariadb_table_cache",
			"perf_engine_mariadb_events_since_start",
		):
			self.assertIn(name, text)
		families = {family.name: family for family in text_string_to_metric_families(text)}
		subsystems = {sample.labels["subsystem"] for sample in families["perf_engine_health"].samples}
		self.assertLessEqual({"scheduler", "mariadb"}, subsystems)
