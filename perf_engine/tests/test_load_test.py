"""`perf-engine load` against a real gunicorn serving the test site, checked against Frappe's monitor.

One short run (a few users, seconds) at twice the peak of a Capacity Model, with the monitor on:
its JSON figures must count the same requests the monitor recorded and give percentiles
consistent with the monitor's durations; the run is recorded as a Load Test Run with its SLA
verdict, and its calibration applied to the Capacity Model. locust runs in the CLI's child
process, never in this one.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from contextlib import closing
from datetime import datetime, timezone

import frappe
from frappe.installer import update_site_config
from frappe.utils import get_bench_path

from perf_engine.core.latency import monitor
from perf_engine.core.latency.thresholds import percentile
from perf_engine.core.load.rules import (
	API_CALL,
	DELETE,
	FORM_LOAD,
	LIST_VIEW,
	LOGIN,
	REPORT,
	SAVE,
	TODO_MARKER,
)
from perf_engine.services import bridge
from perf_engine.tests.rest import ApiTestCase, call

MODEL = "perf-engine load test model"
APP = "frappe.app:application"
# Kept in the bench's logs after the run: docs/load-test-example.md is one of these.
REPORT_FILE = "perf_engine_load_test_report.md"
WEB_WORKERS = 2
USERS = 6
DURATION_S = 12
# 60 users x 120 transactions/hour at the model's 2x peak is 240 requests/min; the run doubles it.
MODEL_FIGURES = {"concurrent_users": 60, "transactions_per_user_per_hour": 120, "peak_multiplier": 2}
# What each kind's requests look like in the monitor (saves and REST reads share one path).
PATHS = {
	LIST_VIEW: "/api/method/frappe.desk.reportview.get",
	FORM_LOAD: "/api/method/frappe.desk.form.load.getdoc",
	REPORT: "/api/method/frappe.desk.query_report.run",
	API_CALL: "/api/resource/ToDo",
	SAVE: "/api/resource/ToDo",
	# Signed in by API key, the load asks who it is once per user.
	LOGIN: "/api/method/frappe.auth.get_logged_user",
}
DELETE_PREFIX = "/api/resource/ToDo/"
# locust keeps times under 100 ms exact, under 1 s to 10 ms and above to 100 ms.
ROUNDING_MS = 50
# The client's time includes the network and gunicorn's queue; the server's never exceeds it.
SERVER_UP_TIMEOUT_S = 60
# Thresholds the test sets so the verdict is about the recording, not this busy machine's speed.
LENIENT_MS = 60_000
STRICT_MS = 1


def free_port() -> int:
	with closing(socket.socket()) as probe:
		probe.bind(("127.0.0.1", 0))
		return probe.getsockname()[1]


def wait_for_server(target: str, site: str, server: subprocess.Popen) -> None:
	"""Until the web server answers ping for the site; raises once it died or took too long."""
	deadline = time.monotonic() + SERVER_UP_TIMEOUT_S
	request = urllib.request.Request(f"{target}/api/method/ping", headers={"X-Frappe-Site-Name": site})
	while True:
		try:
			with urllib.request.urlopen(request, timeout=5) as response:
				if response.status == 200:
					return
		except OSError:
			if time.monotonic() > deadline or server.poll() is not None:
				raise
		time.sleep(0.5)


class PathWindow(monitor.MonitorWindow):
	"""The monitor's window, also keeping each request's path and duration (ms)."""

	def __init__(self, since: datetime, until: datetime):
		super().__init__(since)
		self.until = until
		self.paths: dict[str, list[float]] = defaultdict(list)

	def add(self, transaction: monitor.Transaction) -> None:
		super().add(transaction)
		if transaction.kind == "request" and self.since <= transaction.at <= self.until:
			self.paths[transaction.name].append(transaction.duration_s * 1000)


def delete_load_todos() -> None:
	"""ToDos a load test left behind (a run that was killed): none should survive a test."""
	for name in frappe.get_all("ToDo", filters={"description": ["like", f"{TODO_MARKER}%"]}, pluck="name"):
		frappe.delete_doc("ToDo", name, force=True, ignore_permissions=True)
	frappe.db.commit()


def fresh() -> None:
	"""End this connection's snapshot, so what the web server committed is seen."""
	frappe.db.commit()


def set_thresholds(value_ms: float) -> dict[str, tuple]:
	"""Every ms threshold set to value_ms and committed (the web server judges); the old values."""
	old = {}
	for row in frappe.get_all(
		"Performance Threshold", filters={"unit": "ms"}, fields=["name", "value", "enabled"]
	):
		old[row.name] = (row.value, row.enabled)
		frappe.db.set_value("Performance Threshold", row.name, {"value": value_ms, "enabled": 1})
	frappe.db.commit()
	return old


class TestLoadTest(ApiTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.site = frappe.local.site
		cls.monitor_was = frappe.get_site_config().get("monitor")
		update_site_config("monitor", 1)
		cls.thresholds_were = set_thresholds(LENIENT_MS)
		delete_load_todos()
		frappe.delete_doc("Capacity Model", MODEL, force=True, ignore_missing=True)
		frappe.get_doc({"doctype": "Capacity Model", "title": MODEL, **MODEL_FIGURES}).insert()
		frappe.db.commit()
		cls.port = free_port()
		cls.server = subprocess.Popen(
			[sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{cls.port}", "-w", str(WEB_WORKERS), APP],
			cwd=os.path.join(get_bench_path(), "sites"),
			stdout=subprocess.DEVNULL,
			stderr=subprocess.DEVNULL,
		)
		cls.target = f"http://127.0.0.1:{cls.port}"
		cls.wait_for_server()
		cls.run_load()

	@classmethod
	def tearDownClass(cls):
		cls.server.terminate()
		cls.server.wait(timeout=30)
		update_site_config("monitor", cls.monitor_was or 0)
		for name, (value, enabled) in cls.thresholds_were.items():
			frappe.db.set_value("Performance Threshold", name, {"value": value, "enabled": enabled})
		for name in frappe.get_all("Load Test Run", filters={"target_url": cls.target}, pluck="name"):
			frappe.delete_doc("Load Test Run", name, force=True)
		frappe.delete_doc("Capacity Model", MODEL, force=True, ignore_missing=True)
		delete_load_todos()
		super().tearDownClass()

	@classmethod
	def wait_for_server(cls) -> None:
		wait_for_server(cls.target, cls.site, cls.server)

	@classmethod
	def run_load(cls) -> None:
		"""The CLI as an operator runs it, signed in with the manager's API key, JSON on stdout."""
		cls.report = os.path.join(get_bench_path(), "logs", REPORT_FILE)
		flags = ("--target-peak", MODEL, "--web-workers", str(WEB_WORKERS), "--report", cls.report)
		cls.finished, cls.window = cls.load(*flags)
		cls.result = json.loads(cls.finished.stdout) if cls.finished.stdout else {}

	@classmethod
	def load(cls, *flags: str) -> tuple[subprocess.CompletedProcess, tuple[datetime, datetime]]:
		key, secret = cls.manager.removeprefix("token ").split(":")
		command = [sys.executable, "-m", "perf_engine.cli", "--json", "load", "--target", cls.target]
		command += ["--site-name", cls.site, "--api-key", key, "--api-secret", secret]
		command += ["--users", str(USERS), "--duration", str(DURATION_S), *flags]
		# The monitor dates a request by its start on this machine's clock: every request of this run starts
		# after this moment, every one of an earlier run (the on_stop deletes of the last) before it.
		start = datetime.now(tz=timezone.utc)
		finished = subprocess.run(command, capture_output=True, text=True, timeout=300)
		return finished, (start, datetime.now(tz=timezone.utc))

	def recorded_by_monitor(self, window: tuple[datetime, datetime] | None = None) -> PathWindow:
		"""What Frappe's monitor recorded for this site while the load ran (Redis list and the log)."""
		recorded = PathWindow(*(window or self.window))
		in_redis = monitor.read_redis(bridge.cache_redis(), bridge.cache_prefix(), recorded)
		monitor.read_log(monitor.log_path(get_bench_path()), self.site, recorded, in_redis)
		return recorded

	def assert_counts_match(self, kinds: dict, seen: dict[str, list[float]]) -> None:
		"""Per monitored path, exactly as many requests as the load generator counted for its kinds."""
		sent_per_path: dict[str, int] = defaultdict(int)
		for kind, row in kinds.items():
			if kind != DELETE:
				sent_per_path[PATHS[kind]] += row["requests"]
		deletes = sum(len(durations) for path, durations in seen.items() if path.startswith(DELETE_PREFIX))
		missing = {path: len(seen[path]) - sent for path, sent in sent_per_path.items()}
		missing["deletes"] = deletes - kinds[DELETE]["requests"]
		self.assertEqual(set(missing.values()), {0}, missing)
		self.assertEqual(deletes, kinds[SAVE]["requests"], "every ToDo the load saved is deleted again")

	def test_the_run_finishes_and_prints_its_plan_first(self):
		"""The CLI exits 0 or 1 (a verdict), and said what it would do before doing it."""
		self.assertIn(self.finished.returncode, (0, 1), self.finished.stderr)
		self.assertIn(f"perf-engine load: {self.target}", self.finished.stderr)
		self.assertIn(f"Capacity Model {MODEL}", self.finished.stderr)
		plan = self.result["plan"]
		# 60 users x 120/h / 60 x 2 (model peak) x 2 (the run's multiplier) / 60 s = 8 requests/s
		self.assertAlmostEqual(plan["target_rate_per_s"], 8.0)
		self.assertEqual(plan["peak_multiplier"], 2.0)
		self.assertNotIn("authorization", plan)

	def test_bench_command_runs_and_records_the_load(self):
		"""`bench --site SITE perf-engine load ...` runs the same CLI (locust in its child) and records the run."""
		key, secret = self.manager.removeprefix("token ").split(":")
		command = [sys.executable, "-m", "frappe.utils.bench_helper", "frappe", "--site", self.site]
		command += ["perf-engine", "--json", "load", "--target", self.target, "--site-name", self.site]
		command += ["--api-key", key, "--api-secret", secret, "--users", "2", "--duration", "3"]
		finished = subprocess.run(
			command, cwd=os.path.join(get_bench_path(), "sites"), capture_output=True, text=True, timeout=300
		)
		self.assertIn(finished.returncode, (0, 1), finished.stderr)
		result = json.loads(finished.stdout)
		fresh()
		run = frappe.get_doc("Load Test Run", result["record"]["name"])
		self.assertEqual(run.total_requests, result["figures"]["total"]["requests"])
		self.assertEqual(run.sla_verdict, result["verdict"]["sla_verdict"])

	def test_markdown_report_has_the_plan_figures_and_verdict(self):
		"""--report writes the target, the model's rate, one row per kind and the verdict per kind."""
		with open(self.report, encoding="utf-8") as report:
			text = report.read()
		self.assertIn(f"# Load test of {self.target}", text)
		self.assertIn(f"2 x the peak of Capacity Model {MODEL}", text)
		self.assertIn(f"Recorded as Load Test Run {self.result['record']['name']}", text)
		for kind in self.result["figures"]["kinds"]:
			self.assertIn(f"| {kind} | {self.result['figures']['kinds'][kind]['requests']} |", text)
		self.assertIn("## Verdict per kind", text)

	def test_counts_match_the_monitor(self):
		"""Every request the load generator counted is one the monitor recorded, kind by kind."""
		self.assertGreater(self.result["figures"]["total"]["requests"], 40)
		self.assert_counts_match(self.result["figures"]["kinds"], self.recorded_by_monitor().paths)
		self.assertFalse(frappe.db.exists("ToDo", {"description": ["like", f"{TODO_MARKER}%"]}))

	def test_distributed_run_counts_match_the_monitor(self):
		"""Two local locust workers under a master: their merged figures match the monitor exactly too,
		the requests of their users' last moments (on_stop deletes) included."""
		finished, window = self.load("--workers", "2", "--no-record")
		self.assertEqual(finished.returncode in (0, 1), True, finished.stderr)
		self.assertIn("with 2 worker(s)", finished.stderr)
		result = json.loads(finished.stdout)
		self.assertGreater(result["figures"]["total"]["requests"], 0)
		self.assert_counts_match(result["figures"]["kinds"], self.recorded_by_monitor(window).paths)
		self.assertFalse(frappe.db.exists("ToDo", {"description": ["like", f"{TODO_MARKER}%"]}))

	def test_percentiles_are_consistent_with_the_monitor(self):
		"""The server's time is part of the client's: each client percentile is at least the monitor's."""
		kinds = self.result["figures"]["kinds"]
		seen = self.recorded_by_monitor().paths
		for kind in (LIST_VIEW, FORM_LOAD, REPORT):
			if not kinds.get(kind, {}).get("requests"):
				continue
			server = seen[PATHS[kind]]
			for pct in (50, 95, 99):
				client_ms = kinds[kind][f"p{pct}_ms"]
				self.assertLessEqual(percentile(server, pct), client_ms + ROUNDING_MS, (kind, pct))
			self.assertLessEqual(kinds[kind]["p50_ms"], kinds[kind]["p95_ms"])
			self.assertLessEqual(kinds[kind]["p95_ms"], kinds[kind]["p99_ms"])

	def test_run_is_recorded_with_its_verdict_and_the_bench(self):
		"""The Load Test Run holds the figures per kind, the SLA verdict, the model and the workers."""
		record = self.result["record"]
		fresh()
		run = frappe.get_doc("Load Test Run", record["name"])
		self.assertEqual(run.sla_verdict, "Pass")
		self.assertEqual(run.capacity_model, MODEL)
		self.assertEqual(run.peak_multiplier, 2)
		self.assertEqual(run.web_workers, WEB_WORKERS)
		self.assertEqual(run.total_requests, self.result["figures"]["total"]["requests"])
		self.assertEqual({row.kind for row in run.kinds}, set(self.result["figures"]["kinds"]))
		self.assertTrue(all(row.sla == "Pass" for row in run.kinds if row.kind != LOGIN))
		self.assertIsNotNone(run.rq_workers_default)
		self.assertGreater(run.sustainable_requests_per_worker_per_min, 0)

	def test_calibration_applied_to_the_capacity_model(self):
		"""Applying the run makes its measured rate the model's, beside what the assumed rate predicts."""
		name = self.result["record"]["name"]
		response = call("perf_engine.api.apply_calibration", self.manager, load_test_run=name)
		self.assertEqual(response.status_code, 200, response.text)
		fresh()
		run = frappe.get_doc("Load Test Run", name)
		model = frappe.get_doc("Capacity Model", MODEL)
		self.assertTrue(run.calibration_applied)
		self.assertEqual(model.calibration_run, name)
		self.assertAlmostEqual(
			model.api_calls_per_worker_per_min, run.sustainable_requests_per_worker_per_min
		)
		calibration = json.loads(model.result_json)["calibration"]
		self.assertEqual(calibration["assumed_rates"]["api_calls_per_worker_per_min"], 200)
		self.assertEqual(
			model.predicted_gunicorn_workers, calibration["predicted"]["recommended_gunicorn_workers"]
		)
		self.assertEqual(
			model.calibrated_gunicorn_workers, calibration["measured"]["recommended_gunicorn_workers"]
		)
		frappe.db.set_value("Load Test Run", name, "calibration_applied", 0)
		frappe.db.commit()

	def test_failed_run_is_recorded_as_failing_and_calibrates_nothing(self):
		"""The same figures under 1 ms thresholds fail their SLA, and apply_calibration refuses them."""
		payload = {key: self.result["plan"][key] for key in ("target_url", "users", "spawn_rate")}
		payload.update(started_at=self.result["started_at"], ended_at=self.result["ended_at"])
		payload.update(figures=self.result["figures"], web_workers=WEB_WORKERS)
		set_thresholds(STRICT_MS)
		try:
			response = call("perf_engine.api.record_load_test_run", self.manager, run=json.dumps(payload))
		finally:
			set_thresholds(LENIENT_MS)
		self.assertEqual(response.status_code, 200, response.text)
		self.assertEqual(response.message["verdict"]["sla_verdict"], "Fail")
		fresh()
		run = frappe.get_doc("Load Test Run", response.message["name"])
		self.assertEqual(run.sla_verdict, "Fail")
		self.assertIn("failed", run.calibration_note)
		refused = call("perf_engine.api.apply_calibration", self.manager, load_test_run=run.name)
		self.assertEqual(refused.status_code, 417, refused.text)
		fresh()
		self.assertFalse(frappe.db.get_value("Load Test Run", run.name, "calibration_applied"))

	def test_recording_needs_a_manager_and_a_sound_payload(self):
		"""Guest and a plain user are refused; a malformed payload is refused with nothing stored."""
		before = frappe.db.count("Load Test Run", {"target_url": self.target})
		payload = json.dumps({"target_url": self.target, "users": 1, "figures": {"kinds": {}}})
		self.assertEqual(call("perf_engine.api.record_load_test_run", None, run=payload).status_code, 403)
		self.assertEqual(
			call("perf_engine.api.record_load_test_run", self.plain, run=payload).status_code, 403
		)
		bad = call("perf_engine.api.record_load_test_run", self.manager, run=payload)
		self.assertEqual(bad.status_code, 417, bad.text)
		refused = call("perf_engine.api.apply_calibration", self.plain, load_test_run="LTR-none")
		self.assertEqual(refused.status_code, 403)
		self.assertEqual(frappe.db.count("Load Test Run", {"target_url": self.target}), before)
