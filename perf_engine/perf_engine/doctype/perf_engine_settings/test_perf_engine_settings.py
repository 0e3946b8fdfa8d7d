# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

import frappe
from frappe.tests.utils import FrappeTestCase, change_settings

from perf_engine.core.checks import run_check
from perf_engine.services import settings
from perf_engine.services.bridge import connection_settings
from perf_engine.services.settings import DOCTYPE as SETTINGS
from perf_engine.tests import rest


class TestPerfEngineSettings(FrappeTestCase):
	def test_module_is_registered_for_the_app(self):
		"""Installing the app registers the "Perf Engine" module under perf_engine."""
		self.assertEqual(frappe.db.get_value("Module Def", "Perf Engine", "app_name"), "perf_engine")

	def test_settings_open_with_defaults(self):
		"""The Single loads with the documented defaults, as Desk shows it on first open."""
		settings = frappe.get_single(SETTINGS)
		self.assertEqual(settings.stall_check_minutes, 5)
		self.assertEqual(settings.stall_after_minutes, 30)
		self.assertEqual(settings.redis_pressure_threshold, 90)
		self.assertFalse(settings.auto_remediate_stalls)

	def test_desk_form_loads_for_a_system_manager_only(self):
		"""Desk's form loader returns the Settings to a System Manager and refuses a plain user."""
		manager = rest.ensure_user(rest.MANAGER_USER, ("System Manager",))
		plain = rest.ensure_user(rest.PLAIN_USER)
		args = {"doctype": SETTINGS, "name": SETTINGS}
		response = rest.call("frappe.desk.form.load.getdoc", manager, http_method="GET", **args)
		self.assertEqual(response.status_code, 200, response.text)
		self.assertEqual(response.json["docs"][0]["name"], SETTINGS)
		self.assertEqual(
			rest.call("frappe.desk.form.load.getdoc", plain, http_method="GET", **args).status_code, 403
		)
		self.assertEqual(
			rest.call("frappe.desk.form.load.getdoc", http_method="GET", **args).status_code, 403
		)

	def test_heartbeat_grace_below_rqs_interval_is_refused(self):
		"""A grace under RQ's 30 s heartbeat plus margin is refused on save; the floor itself is kept, and
		an empty field (as on sites installed before the setting existed) reads as the 90 s default."""
		original = frappe.get_single(SETTINGS).get("heartbeat_grace_seconds")
		try:
			frappe.db.delete("Singles", {"doctype": SETTINGS, "field": "heartbeat_grace_seconds"})
			frappe.clear_document_cache(SETTINGS, SETTINGS)
			self.assertEqual(settings.get().stall_limits.heartbeat_grace_s, 90)
			with self.assertRaisesRegex(frappe.ValidationError, "at least 45 s"):
				save_grace(10)
			save_grace(45)
			self.assertEqual(settings.get().stall_limits.heartbeat_grace_s, 45)
			save_grace(None)
			self.assertEqual(frappe.get_single(SETTINGS).heartbeat_grace_seconds, 90)
		finally:
			save_grace(original)

	def test_core_reads_this_sites_connections(self):
		"""The bridge hands the core this site's database name and the bench's queues."""
		settings = connection_settings()
		self.assertEqual(settings.db_name, frappe.conf.db_name)
		self.assertEqual(settings.site, frappe.local.site)
		self.assertIn("long", settings.queues)
		self.assertEqual(settings.cache_prefix, f"{frappe.conf.db_name}|")

	def test_out_of_range_values_are_refused_on_save_with_their_limits(self):
		"""Saving a 0-minute check interval fails with a message naming the setting and its range."""
		doc = frappe.get_single(SETTINGS)
		doc.stall_check_minutes = 0
		with self.assertRaises(frappe.ValidationError) as caught:
			doc.save()
		self.assertIn(
			"Stalled-job check interval must be from 1 to 1440 minutes, got 0", str(caught.exception)
		)

	def test_zero_retries_are_kept_where_zero_means_something(self):
		"""ddl_retries = 0 saves and reads back as 0 (no retry), not as the default 3."""
		with change_settings(SETTINGS, {"ddl_retries": 0, "l1_cache_size": 0}):
			current = settings.get()
		self.assertEqual((current.ddl_retries, current.l1_cache_size), (0, 0))

	def test_core_logs_reach_frappes_logger(self):
		"""A warning from a framework-free core module lands in frappe.logger("perf_engine")."""
		with self.assertLogs(frappe.logger("perf_engine"), level="WARNING") as logs:
			run_check("probe", lambda: 1 / 0)
		self.assertIn("check probe failed: division by zero", logs.output[0])


def save_grace(seconds: int | None) -> None:
	"""Save the heartbeat grace on a freshly loaded Settings record."""
	settings = frappe.get_single(SETTINGS)
	settings.heartbeat_grace_seconds = seconds
	settings.save()
