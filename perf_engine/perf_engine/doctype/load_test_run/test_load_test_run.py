# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

from datetime import datetime

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import convert_utc_to_system_timezone

from perf_engine.core.errors import InvalidInput
from perf_engine.services import calibration
from perf_engine.services import load_test as runs
from perf_engine.tests.load_runs import payload


class TestLoadTestRun(FrappeTestCase):
	def test_a_recorded_run_is_judged_by_the_site_thresholds(self):
		"""Under the default thresholds fast lists and saves pass; each kind keeps its threshold and reason."""
		run = frappe.get_doc("Load Test Run", runs.record(payload())["name"])
		self.assertEqual(run.sla_verdict, "Pass")
		thresholds = {row.kind: row.threshold_ms for row in run.kinds}
		self.assertEqual(thresholds, {"list_view": 2000, "save": 500})
		self.assertEqual(run.web_workers, 3)
		self.assertEqual(run.web_workers_source, runs.GIVEN_BY_RUN)
		# 900 requests in 60 s on 3 workers: 300 per worker per minute
		self.assertEqual(run.sustainable_requests_per_worker_per_min, 300)
		# 10:00 UTC, in the site's time zone as Frappe stores date-times
		self.assertEqual(
			run.started_at, convert_utc_to_system_timezone(datetime(2026, 11, 23, 10)).replace(tzinfo=None)
		)

	def test_a_slow_run_fails_and_says_why(self):
		"""Saves at 800 ms p95 break the 500 ms API threshold: the run fails and gives no calibration."""
		run = frappe.get_doc("Load Test Run", runs.record(payload(p95_ms=800))["name"])
		self.assertEqual(run.sla_verdict, "Fail")
		save = next(row for row in run.kinds if row.kind == "save")
		self.assertEqual((save.sla, save.reason), ("Fail", "p95 800 ms is above 500 ms"))
		self.assertFalse(run.sustainable_requests_per_worker_per_min)
		self.assertRaises(InvalidInput, calibration.apply, run.name)

	def test_a_run_cannot_be_edited_after_it_is_recorded(self):
		"""What was measured stays as measured: saving a changed run is refused."""
		run = frappe.get_doc("Load Test Run", runs.record(payload())["name"])
		run.sla_verdict = "Fail"
		self.assertRaises(frappe.ValidationError, run.save)

	def test_applied_calibration_is_the_one_the_site_uses(self):
		"""After apply, current_rates are the run's; applying a second run replaces the first."""
		first = runs.record(payload())["name"]
		second = runs.record(payload(requests=1200))["name"]
		calibration.apply(first)
		self.assertEqual(calibration.current_rates().api_calls_per_worker_per_min, 300)
		calibration.apply(second)
		rates = calibration.current_rates()
		self.assertEqual((rates.source, rates.api_calls_per_worker_per_min), (second, 600))
		self.assertFalse(frappe.db.get_value("Load Test Run", first, "calibration_applied"))
