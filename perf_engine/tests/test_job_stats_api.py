"""Job statistics on a real bench: real Frappe workers run this site's jobs (and one of another site);
REST, the minute tick, snapshots, health, the threshold and the metrics answer from them."""

import time
from datetime import datetime, timedelta, timezone

import frappe
from frappe.utils import now_datetime
from frappe.utils.background_jobs import get_queue
from prometheus_client.parser import text_string_to_metric_families

from perf_engine.core.jobs.keys import JOB
from perf_engine.core.jobstats import snapshots
from perf_engine.core.jobstats.aggregate import JobAggregate
from perf_engine.core.jobstats.keys import SAMPLING_LOCK, minute_of
from perf_engine.core.latency.thresholds import QUEUE_WAIT_SOURCE
from perf_engine.services import bridge, jobstats, overview
from perf_engine.services.thresholds import check_thresholds
from perf_engine.tests import rest

HANDLERS = "perf_engine.tests.job_handlers"
NAP, FAIL, ELSEWHERE = f"{HANDLERS}.nap", f"{HANDLERS}.fail", f"{HANDLERS}.elsewhere"
SCHEDULED = "frappe.deferred_insert.save_to_db"
IDENTITY_LABELS = {"bench", "site", "scope"}
HOLD_S = 3.0
RQ_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


def rows(stats: dict) -> dict[str, dict]:
	return {row["method"]: row for row in stats["methods"]}


def grew(after: dict, before: dict, method: str) -> tuple[int, int]:
	"""How many more runs and failures of `method` the later view counts."""
	counts = [
		(row["runs"], row["failures"]) if (row := rows(view).get(method)) else (0, 0)
		for view in (after, before)
	]
	return counts[0][0] - counts[1][0], counts[0][1] - counts[1][1]


def forget_last_sample() -> None:
	"""Samples are at least 10 s apart; a test that needs one now lifts the limit."""
	bridge.queue_redis().delete(SAMPLING_LOCK)


class TestJobStatsAPI(rest.ApiTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.started = datetime.now(timezone.utc)
		cls.since = cls.started.isoformat()

	@classmethod
	def tearDownClass(cls):
		"""What the tests changed in this connection is rolled back first (a threshold, snapshots); then the
		Error Logs and Scheduled Job Logs the real worker committed for this test's jobs are removed."""
		frappe.db.rollback()
		frappe.db.delete(
			"Error Log", {"method": ("like", f"{HANDLERS}%"), "creation": (">=", cls.started_site())}
		)
		job_type = frappe.db.get_value("Scheduled Job Type", {"method": SCHEDULED})
		frappe.db.delete(
			"Scheduled Job Log", {"scheduled_job_type": job_type, "creation": (">=", cls.started_site())}
		)
		frappe.db.commit()
		super().tearDownClass()

	@classmethod
	def started_site(cls):
		return now_datetime() - (datetime.now(timezone.utc) - cls.started) - timedelta(seconds=5)

	def stats(self, **params) -> dict:
		forget_last_sample()
		response = rest.call("perf_engine.api.get_job_stats", self.manager, since=self.since, **params)
		self.assertEqual(response.status_code, 200, response.text)
		return response.message

	def test_guest_and_plain_users_are_refused(self):
		"""Job statistics answer 403 to Guest and to a user without a manager role."""
		for user in (None, self.plain):
			self.assertEqual(rest.call("perf_engine.api.get_job_stats", user).status_code, 403)

	def test_real_frappe_jobs_per_method_with_failures_grouped_and_queue_wait(self):
		"""Real workers run this site's jobs held back HOLD_S: each Frappe method (not execute_job) and the
		scheduled job under its own name count with their outcomes, failures grouped with advice, every
		wait at least HOLD_S; another site's job is not this site's."""
		before = self.stats()
		for _ in range(4):
			frappe.enqueue(NAP, queue="short", seconds=0.2)
		for n in range(2):
			frappe.enqueue(FAIL, queue="short", message=f"Row ROW-{n:04} is locked")
		frappe.enqueue(NAP, queue="short", timeout=1, seconds=4)
		get_queue("short").enqueue_call(ELSEWHERE, job_id="other.site::elsewhere")
		time.sleep(HOLD_S)
		rest.run_burst_worker("short")
		frappe.get_doc("Scheduled Job Type", {"method": SCHEDULED}).enqueue(force=True)
		rest.run_burst_worker("default")
		after = self.stats()
		self.assertEqual(grew(after, before, NAP), (5, 1))
		self.assertEqual(grew(after, before, FAIL), (2, 2))
		nap = rows(after)[NAP]
		self.assertEqual((nap["queues"], nap["sites"]), (["short"], [frappe.local.site]))
		self.assertGreaterEqual(nap["wait_p50_s"], HOLD_S)
		self.assertGreaterEqual(rows(after)[SCHEDULED]["runs"], 1)
		self.assertEqual(rows(after)[SCHEDULED]["queues"], ["default"])
		self.assertNotIn(ELSEWHERE, rows(after))
		self.assertNotIn("frappe.utils.background_jobs.execute_job", rows(after))
		groups = {(f["method"], f["exception"]): f for f in after["failures"]}
		self.assertEqual(groups[(FAIL, "ValueError")]["message"], "Row ROW-N is locked")
		self.assertIn("ValueError: Row ROW-0001 is locked", groups[(FAIL, "ValueError")]["example"])
		self.assertIn("long queue", groups[(NAP, "JobTimeoutException")]["advice"])
		short = next(q for q in after["queues"] if q["queue"] == "short")
		self.assertGreaterEqual(short["wait_p95_s"], HOLD_S)
		self.assertLessEqual({"default", "short", "long"}, {q["queue"] for q in after["queues"]})

		metrics = rest.call("perf_engine.api.metrics", self.performance_manager, http_method="GET")
		# Every series also carries bench, site and scope: only the labels of the figure itself are keyed.
		samples = {
			(s.name, tuple(sorted((k, v) for k, v in s.labels.items() if k not in IDENTITY_LABELS))): s.value
			for family in text_string_to_metric_families(metrics.text)
			for s in family.samples
		}
		self.assertGreaterEqual(samples[("perf_engine_job_runs", (("method", NAP),))], 5)
		self.assertIn(
			("perf_engine_job_queue_wait_seconds", (("quantile", "0.95"), ("queue", "short"))), samples
		)

	def test_the_minute_tick_samples_and_a_snapshot_keeps_this_sites_interval(self):
		"""The minute tick counts a job that ended; the snapshot it takes stores this site's jobs of the
		minutes since the previous one (another site's left out) as the job_stats JSON."""
		frappe.db.delete("Perf Snapshot")  # rolled back with the test case
		frappe.enqueue(NAP, queue="short", seconds=0.1)
		get_queue("short").enqueue_call(ELSEWHERE, job_id="other.site::tick")
		rest.run_burst_worker("short")
		# As if they had ended three minutes ago: the snapshot stores whole minutes before the last.
		connection = bridge.queue_redis()
		at = (datetime.now(timezone.utc) - timedelta(minutes=3)).strftime(RQ_TIME)
		for job_id in connection.zrange(get_queue("short").finished_job_registry.key, 0, -1):
			connection.hset(
				JOB.format(job_id.decode()), mapping={"enqueued_at": at, "started_at": at, "ended_at": at}
			)
		forget_last_sample()
		frappe.cache.delete_value(overview.LAST_SNAPSHOT_KEY)
		overview.snapshot_when_due()
		[stored] = frappe.get_all("Perf Snapshot", pluck="job_stats")
		span = snapshots.from_json(stored)
		self.assertEqual(span.end, minute_of(time.time()) - jobstats.SETTLE_MINUTES)
		methods = {method for _, method, _ in span.aggregate().methods}
		self.assertIn(NAP, methods)
		self.assertNotIn(ELSEWHERE, methods)
		self.assertEqual({site for site, _, _ in span.aggregate().methods}, {frappe.local.site})

	def test_a_window_past_two_hours_reads_the_sites_snapshots(self):
		"""A window reaching four hours back sums a snapshot's stored interval; the last hour does not."""
		archived = f"{HANDLERS}.archived"
		aggregate = JobAggregate()
		for _ in range(7):
			aggregate.add_job((frappe.local.site, archived, "long"), 2.0, 1.0)
		start = minute_of(time.time()) - 4 * 60
		frappe.get_doc(
			{
				"doctype": "Perf Snapshot",
				"taken_at": now_datetime() - timedelta(hours=3),
				"job_stats": snapshots.to_json(start, start + 30, aggregate),
			}
		).insert(ignore_permissions=True)  # rolled back with the test case
		self.assertEqual(rows(jobstats.get_job_stats("5h"))[archived]["runs"], 7)
		self.assertNotIn(archived, rows(jobstats.get_job_stats("hour")))

	def test_health_and_the_job_queue_wait_threshold(self):
		"""Health has a jobs part with one check per queue; the threshold check measures job_queue_wait
		from this site's held-back jobs, and a limit under their wait is a violation."""
		health = rest.call("perf_engine.api.get_health", self.manager).message["jobs" and "subsystems"][
			"jobs"
		]
		self.assertEqual({c["check"] for c in health["checks"]} >= {"default", "short", "long"}, True)
		for _ in range(3):
			frappe.enqueue(NAP, queue="short", seconds=0.1)
		time.sleep(HOLD_S)
		rest.run_burst_worker("short")
		forget_last_sample()
		frappe.db.set_value(
			"Performance Threshold", "job_queue_wait", {"value": 1, "unit": "s", "enabled": 1}
		)
		checked = now_datetime()
		try:
			report = check_thresholds()
		finally:
			frappe.db.delete("Threshold Violation", {"measured_at": (">=", checked)})
		check = next(c for c in report["checks"] if c["operation_type"] == "job_queue_wait")
		self.assertGreaterEqual(check["actual"], HOLD_S)
		self.assertGreaterEqual(check["samples"], 3)
		self.assertTrue(check["violation"])
		self.assertEqual(check["source"], QUEUE_WAIT_SOURCE)
