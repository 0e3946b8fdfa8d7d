# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

import json
import urllib.error
import urllib.request
from datetime import datetime
from urllib.parse import quote

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import convert_utc_to_system_timezone

from perf_engine.core.errors import InvalidInput
from perf_engine.services import calibration
from perf_engine.services import load_test as runs
from perf_engine.tests import rest
from perf_engine.tests.browser import web_server
from perf_engine.tests.load_runs import TARGET, payload

# What a recorded run says it measured: none of it may change after it is recorded.
MEASURED = ("p95_ms", "requests_per_s", "total_requests", "sla_verdict", "figures_json", "modified")


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


def over_http(base: str, method: str, name: str, authorization: str, fields: dict | None = None) -> tuple:
	"""(status, JSON body) of one real HTTP request to `/api/resource/Load Test Run/<name>`."""
	request = urllib.request.Request(
		f"{base}/api/resource/{quote('Load Test Run')}/{quote(name)}",
		data=json.dumps(fields).encode() if fields is not None else None,
		method=method,
		headers={
			"Authorization": authorization,
			"Accept": "application/json",
			"Content-Type": "application/json",
		},
	)
	try:
		with urllib.request.urlopen(request, timeout=30) as response:
			return response.status, json.loads(response.read() or b"{}")
	except urllib.error.HTTPError as refused:
		return refused.code, json.loads(refused.read() or b"{}")


def stored(name: str) -> dict:
	"""The run as the database holds it now, past this connection's snapshot."""
	frappe.db.rollback()
	return frappe.db.get_value("Load Test Run", name, MEASURED, as_dict=True)


CALIBRATED_MODEL = "perf-engine rest calibrated model"


class TestLoadTestRunOverRest(FrappeTestCase):
	def tearDown(self):
		frappe.delete_doc("Capacity Model", CALIBRATED_MODEL, force=True, ignore_missing=True)
		for name in frappe.get_all("Load Test Run", filters={"target_url": TARGET}, pluck="name"):
			frappe.delete_doc("Load Test Run", name, force=True)
		frappe.db.commit()

	def test_a_system_manager_cannot_change_a_run_over_rest_but_can_delete_it(self):
		"""On the site's real web server a System Manager with an API key reads a run, but PUT of a changed
		figure is refused with 403 and the stored run is unchanged; DELETE (pruning history) removes it."""
		token = rest.ensure_user(rest.MANAGER_USER, ("System Manager",))
		name = runs.record(payload())["name"]
		frappe.db.commit()
		before = stored(name)
		with web_server() as base:
			read = over_http(base, "GET", name, token)
			put = over_http(base, "PUT", name, token, {"p95_ms": 1, "sla_verdict": "Fail"})
			self.assertEqual(stored(name), before)
			delete = over_http(base, "DELETE", name, token)
		self.assertEqual(read[0], 200)
		self.assertEqual(read[1]["data"]["p95_ms"], before.p95_ms)
		self.assertEqual((put[0], put[1].get("exc_type")), (403, "PermissionError"), put[1])
		self.assertIn("Insufficient Permission for Load Test Run", put[1].get("_error_message", ""))
		self.assertEqual(delete[0], 202, delete[1])
		self.assertIsNone(stored(name))

	def test_a_run_a_capacity_model_is_calibrated_by_cannot_be_deleted(self):
		"""The run in use links from the Capacity Model it calibrates: DELETE answers Frappe's LinkExistsError."""
		token = rest.ensure_user(rest.MANAGER_USER, ("System Manager",))
		name = runs.record(payload())["name"]
		calibration.apply(name)
		frappe.get_doc(
			{
				"doctype": "Capacity Model",
				"title": CALIBRATED_MODEL,
				"concurrent_users": 60,
				"transactions_per_user_per_hour": 120,
			}
		).insert()
		self.assertEqual(frappe.db.get_value("Capacity Model", CALIBRATED_MODEL, "calibration_run"), name)
		frappe.db.commit()
		with web_server() as base:
			delete = over_http(base, "DELETE", name, token)
		self.assertEqual((delete[0], delete[1].get("exc_type")), (417, "LinkExistsError"), delete[1])
		self.assertIsNotNone(stored(name))
