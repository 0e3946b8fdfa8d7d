"""perf_engine itself on a real bench: its jobs note what they cost, the bench-wide pass counts once for the
bench, its own connection is counted by name, and get_footprint answers managers only."""

import time

import frappe

from perf_engine.core.footprint import ledger, redis_keys, report
from perf_engine.core.jobs import keys as job_keys
from perf_engine.services import bridge, footprint, jobs, schedule
from perf_engine.tests import rest

CHECKS = {
	"jobs_per_day",
	"worker_seconds_per_day",
	"log_rows_per_day",
	"history_rows_per_day",
	"cache_redis_bytes",
	"queue_redis_bytes",
	"own_connections",
}


@footprint.metered("perf_engine_test_job")
def metered_job(fail: bool) -> str:
	"""A job of perf_engine's shape: it notes its run whether it succeeds or fails."""
	time.sleep(0.05)
	if fail:
		raise RuntimeError("the job failed")
	return "done"


def noted(job: str) -> dict:
	return ledger.read_jobs(bridge.cache_redis(), bridge.cache_prefix(), time.time()).get(
		job, {"runs": 0, "seconds": 0.0}
	)


class TestFootprint(rest.ApiTestCase):
	def setUp(self):
		self.addCleanup(self.forget_test_job)

	def forget_test_job(self):
		"""The test job's fields leave this hour's ledger; perf_engine's own jobs' stay."""
		key = bridge.cache_prefix() + ledger.JOBS.format(ledger.hour_of(time.time()))
		bridge.cache_redis().hdel(key, "perf_engine_test_job:runs", "perf_engine_test_job:ms")

	def test_a_metered_job_notes_each_run_and_its_time_even_when_it_fails(self):
		"""Two runs, one failing, are two runs of at least 50 ms each in the site's ledger."""
		before = noted("perf_engine_test_job")
		self.assertEqual(metered_job(False), "done")
		with self.assertRaises(RuntimeError):
			metered_job(True)
		after = noted("perf_engine_test_job")
		self.assertEqual(after["runs"] - before["runs"], 2)
		self.assertGreaterEqual(after["seconds"] - before["seconds"], 0.1)

	def test_the_bench_wide_pass_is_noted_once_per_turn(self):
		"""The first tick of a turn moves due jobs for the bench and notes one pass; the next finds the
		turn taken and notes none."""
		queue = bridge.queue_redis()
		queue.delete(job_keys.BENCH_PROMOTE)
		self.addCleanup(queue.delete, job_keys.BENCH_PROMOTE)
		before = ledger.read_bench_passes(queue, time.time())
		self.assertIsNotNone(jobs.promote_due_jobs_once_per_bench())
		self.assertIsNone(jobs.promote_due_jobs_once_per_bench())
		self.assertEqual(ledger.read_bench_passes(queue, time.time()) - before, 1)
		# The turn lasts half a tick: every site's tick of one scheduler pass, never the next pass's.
		self.assertTrue(60 < queue.ttl(job_keys.BENCH_PROMOTE) <= schedule.tick_s() / 2)

	def test_this_process_own_connection_is_counted(self):
		"""A committed change goes through this process's own named connection, which the report counts."""
		todo = frappe.get_doc({"doctype": "ToDo", "description": "perf_engine footprint test"}).insert()
		frappe.db.commit()
		self.addCleanup(frappe.db.commit)
		self.addCleanup(frappe.delete_doc, "ToDo", todo.name, force=True)
		names = [c.get("name") for c in bridge.cache_redis().client_list()]
		self.assertIn(redis_keys.CONNECTION_NAME, names)
		self.assertGreaterEqual(footprint.report()["own_connections"], 1)

	def test_get_footprint_answers_managers_with_every_figure_and_check(self):
		"""A Performance Manager gets the figures and the verdict; Guest and a plain user get nothing."""
		metered_job(False)
		bridge.cache_redis().delete(
			bridge.cache_prefix() + report.SCAN_KEY
		)  # a scan kept from before the job
		for user in (None, self.plain):
			self.assertEqual(rest.call("perf_engine.api.get_footprint", user).status_code, 403)
		answer = rest.call("perf_engine.api.get_footprint", self.performance_manager).message
		self.assertEqual({c["check"] for c in answer["health"]["checks"]}, CHECKS)
		jobs_seen = {job["job"]: job for job in answer["jobs"]}
		self.assertGreaterEqual(jobs_seen["perf_engine_test_job"]["runs"], 1)
		self.assertEqual(answer["jobs_per_day"], sum(job["runs"] for job in answer["jobs"]))
		self.assertIn("job ledger", answer["cache_redis"]["families"])
