# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

import json
from datetime import datetime, timezone

import frappe
from frappe.tests.utils import FrappeTestCase

from perf_engine.core.monitor import MONITOR_KEY
from perf_engine.tasks.thresholds import check_thresholds

HOOK = "perf_engine.tasks.thresholds.check_thresholds"


def push_request(duration_s: float) -> None:
	"""One request entry in Frappe's monitor list, shaped as frappe.monitor stores it."""
	entry = {
		"duration": int(duration_s * 1_000_000),
		"request": {"method": "GET", "path": "/app/sales-invoice", "status_code": 200},
		"site": frappe.local.site,
		"timestamp": datetime.now(timezone.utc).isoformat(),
		"transaction_type": "request",
		"uuid": frappe.generate_hash(),
	}
	frappe.cache.rpush(MONITOR_KEY, json.dumps(entry))


class TestThresholdCheck(FrappeTestCase):
	def setUp(self):
		frappe.cache.delete_value(MONITOR_KEY)

	def tearDown(self):
		frappe.cache.delete_value(MONITOR_KEY)

	def test_slow_requests_become_violations(self):
		"""Requests of 1.2 s break the 500 ms p95 as CRITICAL and the 1000 ms p99 as WARNING."""
		for _ in range(20):
			push_request(1.2)
		report = check_thresholds()
		violations = {v["operation_type"]: v["severity"] for v in report["violations"]}
		self.assertEqual(violations["api_response_p95"], "CRITICAL")
		self.assertEqual(violations["api_response_p99"], "WARNING")
		stored = frappe.get_all(
			"Threshold Violation",
			filters={"operation_type": "api_response_p95"},
			fields=["actual", "severity"],
		)
		self.assertIn({"actual": 1200.0, "severity": "CRITICAL"}, [dict(s) for s in stored])
		self.assertEqual(frappe.cache.llen(MONITOR_KEY), 20, "monitor entries must stay for Frappe's flush")

	def test_without_measurements_the_check_says_so(self):
		"""With no monitor data the check records which thresholds went unmeasured instead of passing."""
		report = check_thresholds()
		self.assertIn("api_response_p95", report["unmeasured"])
		summary = frappe.db.get_single_value("Perf Engine Settings", "last_threshold_check")
		self.assertIn("No measurements for: ", summary)
		self.assertIn("api_response_p95", summary)

	def test_check_is_scheduled_and_runs_through_the_scheduler(self):
		"""The hook registers a Scheduled Job Type that Frappe's scheduler can execute."""
		job_type = frappe.get_doc("Scheduled Job Type", {"method": HOOK})
		self.assertEqual(job_type.cron_format, "*/15 * * * *")
		job_type.execute()
		self.assertTrue(frappe.db.get_single_value("Perf Engine Settings", "last_threshold_check_at"))
