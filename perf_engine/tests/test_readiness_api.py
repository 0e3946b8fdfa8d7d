"""The production-readiness checklist on the test site: every line from real state, ok and failing."""

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import frappe
import frappe.monitor
from frappe.utils import get_bench_path
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from perf_engine.core.health import readiness
from perf_engine.services import bridge
from perf_engine.services import load_test as runs
from perf_engine.services import readiness as readiness_service
from perf_engine.tests import rest
from perf_engine.tests.load_runs import payload
from perf_engine.tests.private_redis import private_redis
from perf_engine.tests.test_bench_commands import bench
from perf_engine.tests.test_platform_health_api import root_connection, scheduler_enabled

STALL_TICK = "perf_engine.tasks.tick.run_due"
SLOW_S = 0.6
ROWS_TABLE = "tabPerf Engine Readiness Rows"
SLOW_LOG_VARIABLES = ("slow_query_log", "log_output", "long_query_time", "slow_query_log_file")


@contextlib.contextmanager
def monitor(value: int) -> Iterator[None]:
	"""Frappe's monitor switched in this process only (the site_config other tests share is left alone)."""
	original = frappe.local.conf.get("monitor")
	frappe.local.conf.monitor = value
	try:
		yield
	finally:
		frappe.local.conf.monitor = original


def request_taking(path: str, seconds: float) -> None:
	"""One request as Frappe's own monitor records it: start, `seconds` of work, stop with the response."""
	frappe.local.request = Request(EnvironBuilder(path=path, method="POST").get_environ())
	frappe.local.request_ip = "127.0.0.1"
	try:
		frappe.monitor.start()
		time.sleep(seconds)
		frappe.monitor.stop(Response("{}", status=200))
	finally:
		del frappe.local.request
		if hasattr(frappe.local, "monitor"):
			del frappe.local.monitor


@contextlib.contextmanager
def fresh_slow_log() -> Iterator[None]:
	"""MariaDB logs every statement to a new file of this test's for the block, the site's only workload
	source then: other tests' statements in the server's own log are not read. Server-wide, so the bench
	tier's lock serialises it; the server's settings are put back whatever happens. The site's connection
	is open already and keeps the session copies it took of slow_query_log and long_query_time, so those
	are set too."""
	folder = tempfile.mkdtemp(prefix="perf-engine-slow-log-")
	path = os.path.join(folder, "slow.log")
	# mariadbd (another user) appends to the file; this process reads it.
	os.chmod(folder, 0o711)
	with open(path, "w"):
		pass
	os.chmod(path, 0o666)
	root = root_connection()
	try:
		with root.cursor() as cur:
			cur.execute("SELECT " + ", ".join(f"@@global.{name}" for name in SLOW_LOG_VARIABLES))
			saved = cur.fetchone()
			cur.execute(
				"SET GLOBAL slow_query_log_file = %s, log_output = 'FILE', long_query_time = 0, slow_query_log = 1",
				(path,),
			)
		try:
			frappe.db.sql("SET SESSION slow_query_log = 1, long_query_time = 0")
			yield
		finally:
			with root.cursor() as cur:
				cur.execute("SET GLOBAL " + ", ".join(f"{name} = %s" for name in SLOW_LOG_VARIABLES), saved)
			frappe.db.sql(
				"SET SESSION slow_query_log = @@global.slow_query_log, long_query_time = @@global.long_query_time"
			)
	finally:
		root.close()
		shutil.rmtree(folder)


def lines(requests_since: str | None = None) -> dict:
	"""The checklist as the site answers it now, in this test's own transaction."""
	return {line["line"]: line for line in readiness_service.answer(requests_since)["lines"]}


@contextlib.contextmanager
def redis_as(cache=None, queue=None) -> Iterator[None]:
	"""Point the site's cache or queue Redis at a private server for the block."""
	originals = bridge.cache_redis, bridge.queue_redis
	if cache is not None:
		bridge.cache_redis = lambda: cache
	if queue is not None:
		bridge.queue_redis = lambda: queue
	try:
		yield
	finally:
		bridge.cache_redis, bridge.queue_redis = originals


class TestReadiness(rest.ApiTestCase):
	def test_every_line_is_answered_over_rest_for_managers_only(self):
		"""A manager gets all eleven lines with status, evidence and action; Guest and a plain user get 403."""
		response = rest.call("perf_engine.api.readiness", self.performance_manager, http_method="GET")
		self.assertEqual(response.status_code, 200, response.text)
		answer = response.message
		self.assertEqual([line["line"] for line in answer["lines"]], list(readiness.LABELS))
		for line in answer["lines"]:
			self.assertIn(line["status"], ("ok", "warning", "failing"), line)
			self.assertTrue(line["evidence"], line)
			if line["status"] != "ok":
				self.assertTrue(line["action"], line)
		self.assertEqual(rest.call("perf_engine.api.readiness", None).status_code, 403)
		self.assertEqual(rest.call("perf_engine.api.readiness", self.plain).status_code, 403)

	def test_capacity_model_line_follows_the_sites_models(self):
		"""No Capacity Model fails the line; one saved for the expected load makes it ok and feeds the others."""
		frappe.db.delete("Capacity Model")
		self.assertEqual(lines()["capacity_model"]["status"], "failing")
		model = frappe.get_doc(
			{
				"doctype": "Capacity Model",
				"title": "Readiness peak",
				"concurrent_users": 50,
				"transactions_per_user_per_hour": 20,
			}
		).insert(ignore_permissions=True)
		found = lines()
		self.assertEqual(found["capacity_model"]["status"], "ok")
		self.assertIn(model.name, found["capacity_model"]["evidence"])
		self.assertIn("model pool minimum", found["db_connections"]["evidence"])
		self.assertIn("model minimum", found["gunicorn_workers"]["evidence"])
		frappe.db.rollback()

	def test_job_monitoring_needs_the_scheduler_on_and_the_stall_check_ticking(self):
		"""Scheduler off fails the line; on, with the stall tick just run as a Scheduled Job Type, it is ok."""
		with scheduler_enabled(0):
			line = lines()["job_monitoring"]
			self.assertEqual(line["status"], "failing")
			self.assertIn("scheduler off", line["evidence"])
		with scheduler_enabled(1):
			frappe.get_doc("Scheduled Job Type", {"method": STALL_TICK}).execute()
			line = lines()["job_monitoring"]
			self.assertNotEqual(line["status"], "failing", line)
			self.assertIn("stalled-job check last ran", line["evidence"])

	def test_a_queue_redis_that_evicts_fails_and_a_sensible_pair_is_ok(self):
		"""On private servers: a queue with allkeys-lru fails; a bounded allkeys-lru cache and a noeviction
		queue are ok; a cache without reads fails caching, one with hits is ok."""
		with private_redis() as cache, private_redis() as queue:
			cache.config_set("maxmemory", 64 * 1024 * 1024)
			cache.config_set("maxmemory-policy", "allkeys-lru")
			queue.config_set("maxmemory-policy", "allkeys-lru")
			with redis_as(cache=cache, queue=queue):
				found = lines()
				self.assertEqual(found["redis_memory"]["status"], "failing")
				self.assertIn("queued jobs can be lost", found["redis_memory"]["evidence"])
				self.assertEqual(found["caching"]["status"], "failing")
				queue.config_set("maxmemory-policy", "noeviction")
				cache.set("key", "value")
				for _ in range(10):
					cache.get("key")
				found = lines()
				self.assertEqual(found["redis_memory"]["status"], "ok", found["redis_memory"])
				self.assertEqual(found["caching"]["status"], "ok", found["caching"])

	def test_open_high_finding_on_a_big_table_fails_indexes(self):
		"""A site table above 50,000 rows with an open HIGH finding fails the line; dismissed, it is ok."""
		table = "tabPerf Engine Readiness Big"
		frappe.db.sql_ddl(
			f"CREATE TABLE IF NOT EXISTS `{table}` (id INT PRIMARY KEY, account INT) ENGINE=InnoDB"
		)
		try:
			frappe.db.sql(f"INSERT IGNORE INTO `{table}` SELECT seq, seq % 97 FROM seq_1_to_60000")
			frappe.db.sql(f"ANALYZE TABLE `{table}`")
			finding = frappe.get_doc(
				{
					"doctype": "Index Recommendation",
					"table_name": table,
					"columns": "account",
					"kind": "add",
					"priority": "HIGH",
					"status": "Open",
					"reason": "readiness test",
				}
			)
			finding.flags.from_analysis = True
			finding.insert(ignore_permissions=True)
			line = lines()["indexes"]
			self.assertEqual(line["status"], "failing", line)
			self.assertIn(f"open HIGH: {table} (account)", line["evidence"])
			frappe.db.set_value("Index Recommendation", finding.name, "status", "Dismissed")
			line = lines()["indexes"]
			self.assertIn(line["status"], ("ok", "warning"), line)
			self.assertIn(table, line["evidence"])
		finally:
			frappe.db.rollback()
			frappe.db.sql_ddl(f"DROP TABLE IF EXISTS `{table}`")

	def test_monitor_off_warns_and_a_path_slow_again_and_again_fails(self):
		"""With the monitor off the line warns; with it on, a path Frappe's monitor records over 500 ms three
		times fails the line and is named with its count."""
		with monitor(0):
			line = lines()["slow_requests"]
			self.assertEqual(
				(line["status"], line["evidence"]),
				("warning", "Frappe's monitor is off: requests are not recorded"),
			)
		path = f"/api/method/perf_engine_readiness_test.export_{frappe.generate_hash(length=8)}"
		with monitor(1):
			for _ in range(3):
				request_taking(path, SLOW_S)
			facts = readiness_service.facts()
		# Other tests' deliberately slow paths share this site's monitor, so this one is found in the facts.
		mine = [p for p in facts["slow_requests"]["slow_paths"] if p["path"] == path]
		self.assertEqual(len(mine), 1, facts["slow_requests"])
		self.assertEqual(mine[0]["count"], 3)
		self.assertGreaterEqual(mine[0]["max_s"], SLOW_S)
		self.assertEqual(readiness.slow_requests(facts)["status"], "failing")

	def test_slow_requests_since_a_deploy_are_ok_when_fast_and_fail_when_slow_again_and_again(self):
		"""Judged since this test began, as an operator judges since a deploy (other tests' slow requests of
		the hour left out): fast requests Frappe's monitor records make the line ok; one path over 500 ms
		three times then fails it, named. Over REST a since that is no date-time is refused."""
		since = datetime.now(timezone.utc).isoformat()
		path = f"/api/method/perf_engine_readiness_test.moved_{frappe.generate_hash(length=8)}"
		with monitor(1):
			for _ in range(2):
				request_taking(path, 0)
			line = lines(since)["slow_requests"]
			self.assertEqual(line["status"], "ok", line)
			self.assertRegex(line["evidence"], r"^0 of [2-9]\d* request\(s\) over 500 ms since ")
			for _ in range(3):
				request_taking(path, SLOW_S)
			line = lines(since)["slow_requests"]
		self.assertEqual(line["status"], "failing", line)
		self.assertIn(f"{path} (3x, up to", line["evidence"])
		refused = rest.call(
			"perf_engine.api.readiness",
			self.performance_manager,
			http_method="GET",
			requests_since="after lunch",
		)
		self.assertEqual(refused.status_code, 417, refused.text)
		self.assertIn("is not an ISO date-time", refused.text)

	def test_pagination_is_ok_for_pages_and_fails_on_an_unbounded_list_read(self):
		"""From the server's slow log: with only paged and aggregate reads of a 2,000-row table the line is
		ok, naming the statements it read; one read of every row without LIMIT fails it, named."""
		frappe.db.sql_ddl(
			f"CREATE TABLE IF NOT EXISTS `{ROWS_TABLE}` (name INT PRIMARY KEY, status VARCHAR(20)) ENGINE=InnoDB"
		)
		try:
			frappe.db.sql(f"INSERT IGNORE INTO `{ROWS_TABLE}` SELECT seq, 'Open' FROM seq_1_to_2000")
			with fresh_slow_log():
				frappe.db.sql(f"SELECT name, status FROM `{ROWS_TABLE}` WHERE status = 'Open' LIMIT 20")
				frappe.db.sql(f"SELECT COUNT(*) FROM `{ROWS_TABLE}` WHERE status = 'Open'")
				line = lines()["pagination"]
				self.assertEqual(line["status"], "ok", line)
				self.assertRegex(line["evidence"], r"slow query log \(file\): [1-9]\d* statement")
				frappe.db.sql(f"SELECT name, status FROM `{ROWS_TABLE}` WHERE status = 'Open'")
				line = lines()["pagination"]
			self.assertEqual(line["status"], "failing", line)
			self.assertIn("1 unbounded list quer(ies)", line["evidence"])
			self.assertIn(f"FROM `{ROWS_TABLE}` WHERE status = 'Open'", line["evidence"])
			self.assertIn("(2,000 rows a call)", line["evidence"])
		finally:
			frappe.db.sql_ddl(f"DROP TABLE IF EXISTS `{ROWS_TABLE}`")

	def test_load_test_line_follows_the_recorded_runs(self):
		"""No run fails the line; a run below 2x peak warns; a passed run at 2x peak, started today, is ok."""
		frappe.db.delete("Load Test Run")
		try:
			line = lines()["load_test"]
			self.assertEqual((line["status"], line["evidence"]), ("failing", "no load test recorded"))
			today = frappe.utils.now_datetime().isoformat()
			below = runs.record({**payload(), "started_at": today, "ended_at": today, "peak_multiplier": 1.0})
			line = lines()["load_test"]
			self.assertEqual(line["status"], "warning", line)
			self.assertIn(below["name"], line["evidence"])
			at_peak = runs.record(
				{**payload(), "started_at": today, "ended_at": today, "peak_multiplier": 2.0}
			)
			line = lines()["load_test"]
			self.assertEqual(line["status"], "ok", line)
			self.assertIn(at_peak["name"], line["evidence"])
		finally:
			frappe.db.rollback()

	def test_cli_answers_the_same_lines_and_exits_1_on_a_failing_line(self):
		"""`perf-engine --bench --site readiness --json` and `bench --site SITE perf-engine readiness` list the
		same lines and exit 1 (the load test line fails)."""
		command = [
			Path(sys.executable).parent / "perf-engine",
			"--bench",
			get_bench_path(),
			"--site",
			frappe.local.site,
		]
		result = subprocess.run(
			[*command, "--json", "readiness"], capture_output=True, text=True, check=False
		)
		self.assertEqual(result.returncode, 1, result.stderr)
		answer = json.loads(result.stdout)
		self.assertEqual([line["line"] for line in answer["lines"]], list(readiness.LABELS))
		self.assertEqual(answer["status"], "failing")
		through_bench = bench("perf-engine", "--json", "readiness")
		self.assertEqual(through_bench.returncode, 1, through_bench.stderr)
		self.assertEqual(len(json.loads(through_bench.stdout)["lines"]), len(readiness.LABELS))
