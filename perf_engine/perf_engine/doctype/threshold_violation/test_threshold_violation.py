# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

import contextlib
import json
import os
import time
from collections.abc import Iterator
from datetime import datetime, timezone

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import get_bench_path

from perf_engine.core.latency import monitor
from perf_engine.core.latency.monitor import MONITOR_KEY
from perf_engine.services.settings import DOCTYPE as SETTINGS
from perf_engine.services.thresholds import LAST_CHECK_KEY, check_thresholds, check_when_due

RETIRED_HOOK = "perf_engine.tasks.thresholds.check_thresholds"


def request_entry(duration_s: float, site: str | None = None) -> str:
	"""One request entry, shaped and serialised as frappe.monitor stores it."""
	entry = {
		"duration": int(duration_s * 1_000_000),
		"request": {"method": "GET", "path": "/app/sales-invoice", "status_code": 200},
		"site": site or frappe.local.site,
		"timestamp": datetime.now(timezone.utc),
		"transaction_type": "request",
		"uuid": frappe.generate_hash(),
	}
	return json.dumps(entry, sort_keys=True, default=str, separators=(",", ":"))


def push_request(duration_s: float) -> None:
	"""One request entry in Frappe's monitor list."""
	frappe.cache.rpush(MONITOR_KEY, request_entry(duration_s))


@contextlib.contextmanager
def lines_in_bench_log(lines: list[str]) -> Iterator[None]:
	"""Append lines to the bench's shared monitor.json.log as frappe.monitor.flush does; take them out after."""
	path = monitor.log_path(get_bench_path())
	existed = os.path.exists(path)
	size = os.path.getsize(path) if existed else 0
	with open(path, "a") as log:
		log.write("".join(line + "\n" for line in lines))
	try:
		yield
	finally:
		if existed:
			os.truncate(path, size)
		else:
			os.remove(path)


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

	def test_another_sites_entries_in_the_shared_log_are_not_measured(self):
		"""The bench's log holds another site's slow requests and this site's fast ones: only the fast count."""
		slow_elsewhere = [request_entry(3.0, site="another-site.localhost") for _ in range(30)]
		fast_here = [request_entry(0.1) for _ in range(10)]
		with lines_in_bench_log(slow_elsewhere + fast_here):
			report = check_thresholds()
		checks = {c["operation_type"]: c for c in report["checks"]}
		self.assertEqual(checks["api_response_p95"]["samples"], 10)
		self.assertEqual(checks["api_response_p95"]["actual"], 100.0)
		self.assertFalse(checks["api_response_p95"]["violation"])

	def test_without_measurements_the_check_says_so(self):
		"""With no monitor data the check records which thresholds went unmeasured instead of passing."""
		report = check_thresholds()
		self.assertIn("api_response_p95", report["unmeasured"])
		summary = frappe.db.get_single_value(SETTINGS, "last_threshold_check")
		self.assertIn("No measurements for: ", summary)
		self.assertIn("api_response_p95", summary)

	def test_the_tick_runs_the_check_every_15_minutes_without_a_job_of_its_own(self):
		"""The check is a part of the tick: it runs when 15 minutes passed since the last, not on the next
		tick; no Scheduled Job Type of its own is left."""
		self.assertIn(("threshold check", check_when_due), frappe.get_attr("perf_engine.tasks.tick.PARTS"))
		self.assertFalse(frappe.db.exists("Scheduled Job Type", {"method": RETIRED_HOOK}))
		long_ago = datetime(2020, 1, 1)

		def checked_at() -> datetime:
			return frappe.db.get_single_value(SETTINGS, "last_threshold_check_at")

		frappe.cache.set_value(LAST_CHECK_KEY, time.time() - 16 * 60)
		frappe.db.set_single_value(SETTINGS, "last_threshold_check_at", long_ago)
		check_when_due()
		self.assertGreater(checked_at(), long_ago, "the check ran")
		frappe.db.set_single_value(SETTINGS, "last_threshold_check_at", long_ago)
		check_when_due()
		self.assertEqual(checked_at(), long_ago, "not due again")
