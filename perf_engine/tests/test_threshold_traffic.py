"""Real traffic through a real web server and RQ worker: every threshold is measured, the slow ones
become violations, SLA percentiles match the raw entries, and another site's traffic never counts."""

import contextlib
import json
import math
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from unittest.mock import patch

import frappe
import pymysql
from frappe.installer import update_site_config
from frappe.tests.utils import FrappeTestCase
from frappe.utils import get_bench_path
from frappe.utils.password import update_password

from perf_engine.core.latency import monitor
from perf_engine.core.latency.thresholds import DEFAULT_THRESHOLDS
from perf_engine.services import bridge, overview
from perf_engine.services import sla as sla_service
from perf_engine.services.thresholds import check_thresholds
from perf_engine.tests import browser, rest

SECOND_SITE = "perf-engine-test2.localhost"
SLOW_REPORT = "Perf Engine Slow Report"
PREPARED_REPORT = "Perf Engine Prepared Report"
REPORT_SLEEP_S = 1.2
JOB_TIMEOUT_S = 2
TODOS = 30
PASSWORD = "Perf-Engine-Sla-Test-1"
# What the test expects Frappe's Desk to call, written here independently of perf_engine's table.
LIST_PATHS = {
	"/api/method/frappe.desk.reportview.get",
	"/api/method/frappe.desk.reportview.get_count",
	"/api/method/frappe.client.get_list",
}
FORM_PATHS = {"/api/method/frappe.desk.form.load.getdoc"}
REPORT_PATHS = {"/api/method/frappe.desk.query_report.run"}
PREPARED_JOB = "frappe.core.doctype.prepared_report.prepared_report.generate_report"
# Lowered for the test so the deliberately slow work breaks them (restored after).
LOWERED = {"report_generation": 1000, "job_timeout": 1}
START_TIMEOUT_S = 60
# The long queue may hold the search-index jobs every migrate of the test site queues: the prepared
# report waits behind them.
WORK_TIMEOUT_S = 400


def sleep_job(seconds: float) -> str:
	"""A job the real worker runs: sleeps, so a short timeout kills it."""
	time.sleep(seconds)
	return "slept"


def nearest_rank(values: list[float], pct: float) -> float:
	ordered = sorted(values)
	return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1]


def expected_kind(entry: dict) -> str:
	if entry["transaction_type"] == "job":
		return "report" if entry["job"]["method"] == PREPARED_JOB else "job"
	path = entry["request"]["path"]
	if path in LIST_PATHS:
		return "list_view"
	if path in FORM_PATHS:
		return "form"
	return "report" if path in REPORT_PATHS else "request"


def wait_until(condition, timeout_s: float = WORK_TIMEOUT_S, step_s: float = 0.5):
	deadline = time.monotonic() + timeout_s
	found = None
	while time.monotonic() < deadline:
		if found := condition():
			return found
		time.sleep(step_s)
	raise AssertionError(f"not reached within {timeout_s}s: {found!r}")


@contextlib.contextmanager
def process(name: str, command: list[str]) -> Iterator[subprocess.Popen]:
	"""A bench process from the sites folder, its output in logs/, stopped (by its own pid) afterwards."""
	env = {**os.environ, "PYTHONUNBUFFERED": "1"}
	log = open(f"{get_bench_path()}/logs/perf_engine_test_{name}.log", "ab")
	child = subprocess.Popen(command, cwd=f"{get_bench_path()}/sites", env=env, stdout=log, stderr=log)
	try:
		yield child
	finally:
		child.terminate()
		try:
			child.wait(timeout=30)
		except subprocess.TimeoutExpired:
			child.kill()
			child.wait(timeout=10)
		log.close()


class Client:
	"""HTTP calls to one site of a multi-site gunicorn, named by X-Frappe-Site-Name."""

	def __init__(self, base: str, site: str):
		self.base, self.site, self.sid = base, site, None

	def get(self, path: str, **params) -> dict:
		query = urllib.parse.urlencode(
			{k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in params.items()}
		)
		headers = {"X-Frappe-Site-Name": self.site, "Accept": "application/json"}
		if self.sid:
			headers["Cookie"] = f"sid={self.sid}"
		request = urllib.request.Request(f"{self.base}{path}?{query}", headers=headers)
		with urllib.request.urlopen(request, timeout=60) as response:
			return json.loads(response.read() or b"{}")

	def answers(self) -> bool:
		"""The server is up and serves this site (a ping, which is not counted by the tests)."""
		try:
			return self.get("/api/method/ping").get("message") == "pong"
		except OSError:
			return False

	def login(self, user: str, password: str) -> None:
		request = urllib.request.Request(
			f"{self.base}/api/method/login",
			data=json.dumps({"usr": user, "pwd": password}).encode(),
			headers={"Content-Type": "application/json", "X-Frappe-Site-Name": self.site},
		)
		with urllib.request.urlopen(request, timeout=60) as response:
			cookies = response.headers.get_all("Set-Cookie")
		self.sid = next(c.split("=", 1)[1].split(";", 1)[0] for c in cookies if c.startswith("sid="))


def monitor_log() -> str:
	return monitor.log_path(get_bench_path())


def second_site_config() -> str:
	return f"{get_bench_path()}/sites/{SECOND_SITE}/site_config.json"


def read_json(path: str) -> dict:
	with open(path) as config:
		return json.load(config)


def root_connection() -> pymysql.Connection:
	return pymysql.connect(
		host=frappe.conf.db_host or "127.0.0.1",
		port=int(frappe.conf.db_port or 3306),
		user=frappe.conf.get("root_login") or "root",
		password=frappe.conf.get("root_password") or "",
		autocommit=True,
	)


def site_entries(site: str, db_name: str, since: datetime) -> list[dict]:
	"""Every monitor entry of a site since `since`: its Redis list and the bench's log, read whole
	(a test bench's are small), deduplicated by uuid; independent of perf_engine's reader."""
	client = bridge.cache_redis()
	key = f"{db_name}|{monitor.MONITOR_KEY}"
	raw = client.lrange(key, 0, client.llen(key))
	log = Path(monitor_log())
	if log.exists():
		raw += [line for line in log.read_bytes().splitlines() if line.strip()]
	found = {}
	for line in raw:
		entry = json.loads(line)
		at = datetime.fromisoformat(entry["timestamp"])
		if entry.get("site") == site and at >= since:
			found[entry["uuid"]] = entry
	return list(found.values())


class TestThresholdsFromRealTraffic(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.site = frappe.local.site
		cls.saved_monitor = frappe.conf.get("monitor")
		cls.created_from = frappe.utils.now_datetime()
		update_site_config("monitor", 1)
		cls.saved_second_monitor = read_json(second_site_config()).get("monitor")
		update_site_config("monitor", 1, site_config_path=second_site_config())
		frappe.local.conf.monitor = 1
		cls.saved_thresholds = {
			t.operation_type: (t.value, t.enabled) for t in frappe.get_all("Performance Threshold", ["*"])
		}
		for name in cls.saved_thresholds:
			frappe.db.set_value(
				"Performance Threshold",
				name,
				{"value": LOWERED.get(name, cls.saved_thresholds[name][0]), "enabled": 1},
			)
		make_reports()
		cls.todos = make_todos()
		frappe.db.set_single_value("System Settings", "setup_complete", 1)
		cls.token = rest.ensure_user(rest.MANAGER_USER, ("System Manager",))
		update_password(rest.MANAGER_USER, PASSWORD)
		frappe.db.delete("Perf Snapshot")
		frappe.db.commit()
		bridge.cache_redis().delete(bridge.cache_prefix() + monitor.MONITOR_KEY)
		# The flush test appends to the bench's shared log: it is cut back to this size afterwards,
		# so no later test measures this traffic.
		cls.log_size = os.path.getsize(monitor_log()) if os.path.exists(monitor_log()) else 0
		cls.root = root_connection()
		cls.saved_slow_log = slow_log_on(cls.root, frappe.conf.db_name)
		cls.started = datetime.now(timezone.utc) - timedelta(seconds=1)
		try:
			cls.drive_traffic()
		except Exception:
			cls.restore()
			raise

	@classmethod
	def drive_traffic(cls):
		"""Requests to both sites through gunicorn, jobs through a real worker; the check runs while
		both still serve (their memory is measured too)."""
		port = browser.free_port()
		gunicorn = [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "2", "-t", "120"]
		# As `bench worker` runs it, so process_memory knows it for a worker.
		worker = [
			sys.executable,
			"-m",
			"frappe.utils.bench_helper",
			"frappe",
			"worker",
			"--queue",
		]
		with (
			process("gunicorn", [*gunicorn, "frappe.app:application"]),
			process("worker", [*worker, "short,default"]),
			process("long_worker", [*worker, "long"]),
		):
			base = f"http://127.0.0.1:{port}"
			here, there = Client(base, cls.site), Client(base, SECOND_SITE)
			wait_until(here.answers, START_TIMEOUT_S)
			here.login(rest.MANAGER_USER, PASSWORD)
			requests_to(there)
			requests_to_desk(here, cls.todos)
			cls.jobs = enqueue_jobs()
			wait_until(lambda: jobs_done(cls.jobs))
			cls.report = check_thresholds()
			cls.thresholds_checked = datetime.now(timezone.utc)
		with patch.object(sla_service, "SNAPSHOT_LAG", timedelta(0)):
			cls.snapshot = frappe.get_doc("Perf Snapshot", overview.take_snapshot())
		frappe.db.commit()
		cls.sla_from = datetime.now(timezone.utc) - sla_service.CHECK_WINDOW
		cls.sla = sla_service.get_sla()
		# Later tests make requests of their own (the Desk page): the window's entries end here.
		cls.sla_until = datetime.now(timezone.utc)

	@classmethod
	def restore(cls):
		"""Settings back, this test's violations and snapshot gone, and its monitor entries gone from
		both sites' lists and the log."""
		for doctype in ("Threshold Violation", "Perf Snapshot"):
			frappe.db.delete(doctype, {"creation": (">=", cls.created_from)})
		frappe.db.commit()
		for db_name in (frappe.conf.db_name, read_json(second_site_config())["db_name"]):
			bridge.cache_redis().delete(f"{db_name}|{monitor.MONITOR_KEY}")
		if os.path.exists(monitor_log()) and os.path.getsize(monitor_log()) > cls.log_size:
			os.truncate(monitor_log(), cls.log_size)
		slow_log_off(cls.root, frappe.conf.db_name, cls.saved_slow_log)
		cls.root.close()
		update_site_config("monitor", cls.saved_monitor or 0)
		update_site_config("monitor", cls.saved_second_monitor or 0, site_config_path=second_site_config())
		frappe.local.conf.monitor = cls.saved_monitor
		for name, (value, enabled) in cls.saved_thresholds.items():
			frappe.db.set_value("Performance Threshold", name, {"value": value, "enabled": enabled})
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		cls.restore()
		super().tearDownClass()

	def test_every_threshold_is_measured_and_the_slow_ones_are_violations(self):
		"""Every seeded threshold has a value from real traffic (the jobs' queue wait from RQ's job data);
		the slow report and the job killed at its timeout are stored as Threshold Violations with their
		sources."""
		checks = {c["operation_type"]: c for c in self.report["checks"]}
		# Only the seeded types: a reused site may hold thresholds another version of the app seeded.
		seeded = {t.operation_type for t in DEFAULT_THRESHOLDS}
		unmeasured = [name for name in self.report["unmeasured"] if name in seeded]
		self.assertEqual(unmeasured, [], self.report.get("reasons"))
		self.assertLessEqual(seeded, set(checks))
		self.assertGreaterEqual(checks["report_generation"]["actual"], REPORT_SLEEP_S * 1000)
		self.assertTrue(checks["report_generation"]["violation"])
		self.assertGreaterEqual(checks["job_timeout"]["actual"], JOB_TIMEOUT_S)
		self.assertTrue(checks["job_timeout"]["violation"])
		self.assertIn(self.jobs["timed_out"], [j["job_id"] for j in checks["job_timeout"]["timed_out"]])
		self.assertEqual(checks["count_query"]["source"], "slow query log")
		self.assertGreater(checks["count_query"]["samples"], 0)
		self.assertGreater(checks["batch_query"]["samples"], 0)
		self.assertGreaterEqual(checks["list_view_load"]["samples"], 14)
		self.assertGreaterEqual(checks["form_load"]["samples"], 6)
		# The two quick jobs, the one killed at its timeout and the prepared report's, at least.
		self.assertGreaterEqual(checks["job_queue_wait"]["samples"], 4)
		stored = frappe.get_all(
			"Threshold Violation",
			filters={"measured_at": (">=", self.report_started())},
			fields=["operation_type", "severity", "source"],
		)
		by_type = {s.operation_type: s for s in stored}
		self.assertEqual(by_type["report_generation"].source, "Frappe's monitor")
		self.assertEqual(by_type["job_timeout"].source, "Frappe's monitor and RQ's failed registries")

	def report_started(self):
		return frappe.utils.add_to_date(frappe.utils.now_datetime(), minutes=-10)

	def test_window_percentiles_match_the_raw_entries(self):
		"""p50/p95/p99 and counts per kind equal the nearest rank of this site's raw monitor entries."""
		entries = [
			e
			for e in site_entries(self.site, frappe.conf.db_name, self.sla_from)
			if datetime.fromisoformat(e["timestamp"]) < self.sla_until
		]
		self.assertTrue(entries)
		for kind in ("list_view", "form", "report", "request", "job"):
			own = [e["duration"] / 1e6 for e in entries if expected_kind(e) == kind]
			row = self.sla["window"]["kinds"].get(kind)
			self.assertIsNotNone(row, kind)
			self.assertEqual(row["count"], len(own), kind)
			for pct in (50, 95, 99):
				self.assertEqual(row[f"p{pct}_s"], round(nearest_rank(own, pct), 6), (kind, pct))

	def test_day_figures_come_from_the_snapshot_exact_to_a_bucket(self):
		"""The snapshot stores its interval; the day's counts equal the raw entries in it and each
		percentile lies within one bucket above theirs."""
		start = sla_service.utc(self.snapshot.sla_from)
		until = sla_service.utc(self.snapshot.sla_until)
		entries = [
			e
			for e in site_entries(self.site, frappe.conf.db_name, start)
			if datetime.fromisoformat(e["timestamp"]) < until
		]
		requests = [e["duration"] / 1e6 for e in entries if e["transaction_type"] == "request"]
		self.assertEqual(self.snapshot.request_count, len(requests))
		self.assertEqual(self.snapshot.request_p95_ms, round(nearest_rank(requests, 95) * 1000, 1))
		self.assertEqual(self.sla["day"]["snapshots"], 1)
		for kind, row in self.sla["day"]["kinds"].items():
			own = [e["duration"] / 1e6 for e in entries if expected_kind(e) == kind]
			self.assertEqual(row["count"], len(own), kind)
			for pct in (50, 95, 99):
				true = nearest_rank(own, pct)
				self.assertLessEqual(true, row[f"p{pct}_s"] + 1e-6, (kind, pct))
				self.assertLessEqual(row[f"p{pct}_s"], max(true * 2**0.25, 0.001) + 1e-6, (kind, pct))

	def test_the_other_sites_traffic_never_counts_here_and_counts_there(self):
		"""After both sites' entries are flushed into the shared log, this site's figures hold only its
		own traffic, and `perf-engine sla` for the second site counts exactly its requests."""
		flush = [sys.executable, "-m", "frappe.utils.bench_helper", "frappe", "--site"]
		for site in (self.site, SECOND_SITE):
			subprocess.run(
				[*flush, site, "execute", "frappe.monitor.flush"],
				cwd=f"{get_bench_path()}/sites",
				check=True,
				capture_output=True,
				timeout=120,
			)
		since = datetime.now(timezone.utc) - sla_service.CHECK_WINDOW
		here = sla_service.get_sla()["window"]["kinds"]
		mine = site_entries(self.site, frappe.conf.db_name, since)
		for kind in ("list_view", "form", "report", "request", "job"):
			self.assertEqual(here[kind]["count"], sum(1 for e in mine if expected_kind(e) == kind), kind)
		since = datetime.now(timezone.utc) - sla_service.CHECK_WINDOW
		command = [str(Path(sys.executable).parent / "perf-engine"), "--bench", get_bench_path()]
		cli = subprocess.run(
			[*command, "--site", SECOND_SITE, "--json", "sla"], capture_output=True, text=True, timeout=120
		)
		self.assertEqual(cli.returncode, 0, cli.stderr)
		there = json.loads(cli.stdout)["window"]["kinds"]
		theirs = site_entries(SECOND_SITE, read_json(second_site_config())["db_name"], since)
		self.assertGreaterEqual(len(theirs), 7)
		self.assertEqual(there["request"]["count"], len(theirs))
		self.assertEqual(set(there), {"request"}, "the second site only answered pings")

	def test_metrics_serve_the_sla_percentiles_and_a_window_histogram(self):
		"""perf_engine.api.metrics serves p50/p95/p99 per period and kind, and per kind a gauge histogram
		whose +Inf bucket is its count; Guest gets nothing."""
		from prometheus_client.parser import text_string_to_metric_families

		self.assertEqual(rest.call("perf_engine.api.metrics", http_method="GET").status_code, 403)
		response = rest.call("perf_engine.api.metrics", self.token, http_method="GET")
		self.assertEqual(response.status_code, 200, response.text)
		families = {f.name: f for f in text_string_to_metric_families(response.text)}
		quantiles = {
			(s.labels["period"], s.labels["kind"], s.labels["quantile"])
			for s in families["perf_engine_sla_seconds"].samples
		}
		for period in ("window", "day"):
			self.assertIn((period, "report", "0.95"), quantiles)
		samples = families["perf_engine_work_duration_seconds"].samples
		form_inf = next(
			s.value for s in samples if s.labels.get("kind") == "form" and s.labels.get("le") == "+Inf"
		)
		counts = families["perf_engine_work_duration_seconds_gcount"].samples
		form_count = next(s.value for s in counts if s.labels["kind"] == "form")
		self.assertEqual(form_inf, form_count)
		self.assertGreaterEqual(form_count, 6)

	def test_sla_view_renders_in_desk_with_its_figures(self):
		"""The SLA Percentiles page shows the three periods with this traffic's endpoints; screenshot saved."""
		with browser.web_server() as base:
			sid = browser.login(base, rest.MANAGER_USER, PASSWORD)
			with browser.chromium(base, sid) as tab:
				ready = "document.querySelectorAll('.sla-percentiles [data-period] table').length >= 4"
				tab.open(base + "/app/sla-percentiles", ready)
				text = tab.evaluate("document.querySelector('.sla-percentiles').innerText")
				tab.evaluate("window.scrollTo(0, 0)")
				shot = tab.screenshot(browser.artifacts_dir() / "sla-percentiles.png")
				tab.evaluate("document.querySelector('[data-period=\"day\"]').scrollIntoView()")
				periods = tab.screenshot(browser.artifacts_dir() / "sla-percentiles-day-week.png")
		for expected in (
			"frappe.desk.query_report.run",
			"frappe.desk.form.load.getdoc",
			"Last 15 minutes (exact)",
			"Last day",
			"Last 7 days",
			"p95 (ms)",
		):
			self.assertIn(expected, text)
		self.assertGreater(shot.stat().st_size, 10_000)
		self.assertGreater(periods.stat().st_size, 10_000)


def make_reports() -> None:
	"""A query report that sleeps (run directly) and a prepared copy (run as a job)."""
	for name, prepared in ((SLOW_REPORT, 0), (PREPARED_REPORT, 1)):
		if not frappe.db.exists("Report", name):
			frappe.get_doc(
				{
					"doctype": "Report",
					"report_name": name,
					"ref_doctype": "ToDo",
					"report_type": "Query Report",
					"is_standard": "No",
					"module": "Perf Engine",
					"prepared_report": prepared,
					"query": f"SELECT SLEEP({REPORT_SLEEP_S}) AS slept",
				}
			).insert(ignore_permissions=True)


def make_todos() -> list[str]:
	names = frappe.get_all("ToDo", filters={"description": ("like", "perf-engine-sla %")}, pluck="name")
	for number in range(len(names), TODOS):
		names.append(
			frappe.get_doc({"doctype": "ToDo", "description": f"perf-engine-sla {number}"}).insert().name
		)
	return names


def requests_to(client: Client) -> None:
	"""Plain requests to the second site."""
	for _ in range(7):
		client.get("/api/method/ping")


def requests_to_desk(client: Client, todos: list[str]) -> None:
	"""What Desk sends for list views (14), forms (6), a slow report (2) and a few plain calls (3)."""
	fields = ["`tabToDo`.`name`", "`tabToDo`.`description`"]
	for _ in range(6):
		client.get("/api/method/frappe.desk.reportview.get", doctype="ToDo", fields=fields, page_length=20)
	for _ in range(4):
		client.get("/api/method/frappe.desk.reportview.get_count", doctype="ToDo")
	for _ in range(4):
		client.get(
			"/api/method/frappe.client.get_list", doctype="ToDo", fields=["name"], limit_page_length=30
		)
	for name in todos[:6]:
		client.get("/api/method/frappe.desk.form.load.getdoc", doctype="ToDo", name=name)
	for _ in range(2):
		client.get("/api/method/frappe.desk.query_report.run", report_name=SLOW_REPORT)
	for _ in range(3):
		client.get("/api/method/ping")


def enqueue_jobs() -> dict:
	"""Two quick jobs, one that sleeps past its timeout, and a prepared report."""
	quick = [frappe.enqueue(f"{__name__}.sleep_job", queue="short", seconds=0.1) for _ in range(2)]
	slow = frappe.enqueue(f"{__name__}.sleep_job", queue="short", timeout=JOB_TIMEOUT_S, seconds=60)
	prepared = frappe.get_doc({"doctype": "Prepared Report", "report_name": PREPARED_REPORT, "filters": "{}"})
	prepared.insert(ignore_permissions=True)
	frappe.db.commit()
	return {"quick": [j.id for j in quick], "timed_out": slow.id, "prepared": prepared.name}


class Pending(dict):
	"""What is not done yet: falsy when everything is."""

	def __bool__(self) -> bool:
		return not any(self.values())


def jobs_done(jobs: dict) -> Pending:
	from rq.job import Job

	connection = bridge.queue_redis()
	frappe.db.rollback()
	return Pending(
		quick=[i for i in jobs["quick"] if Job.fetch(i, connection=connection).get_status() != "finished"],
		timed_out=Job.fetch(jobs["timed_out"], connection=connection).get_status() != "failed",
		prepared=frappe.db.get_value("Prepared Report", jobs["prepared"], "status") != "Completed",
	)


def slow_log_on(root: pymysql.Connection, db_user: str) -> tuple:
	"""Log every statement to mysql.slow_log, readable by the site's user; returns what to restore."""
	with root.cursor() as cur:
		cur.execute("SELECT @@global.slow_query_log, @@global.log_output, @@global.long_query_time")
		saved = cur.fetchone()
		cur.execute("SET GLOBAL slow_query_log = 1, log_output = 'TABLE', long_query_time = 0")
		cur.execute("SELECT host FROM mysql.user WHERE user = %s", (db_user,))
		for (host,) in cur.fetchall():
			cur.execute("GRANT SELECT ON mysql.slow_log TO %s@%s", (db_user, host))
	return saved


def slow_log_off(root: pymysql.Connection, db_user: str, saved: tuple) -> None:
	with root.cursor() as cur:
		cur.execute("SET GLOBAL slow_query_log = %s, log_output = %s, long_query_time = %s", saved)
		cur.execute("SELECT host FROM mysql.user WHERE user = %s", (db_user,))
		for (host,) in cur.fetchall():
			cur.execute("REVOKE SELECT ON mysql.slow_log FROM %s@%s", (db_user, host))
