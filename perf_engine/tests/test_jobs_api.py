import math
import time
from datetime import datetime, timedelta, timezone

import frappe
from frappe.tests.utils import change_settings
from frappe.utils.background_jobs import get_queue
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry

from perf_engine.core.jobs import stalls
from perf_engine.core.jobs.hosts import Host, this_host
from perf_engine.core.jobs.keys import WORKER_HOSTS
from perf_engine.core.jobs.worker_hosts import WorkerHost, recall, store
from perf_engine.services import bridge, jobs, settings
from perf_engine.services.settings import DOCTYPE as SETTINGS
from perf_engine.tests import rest

HOOK = "perf_engine.tasks.tick.run_due"


def age_job(job_id: str, minutes: int) -> None:
	"""Make a queued job look as if it had waited this long."""
	at = datetime.now(timezone.utc) - timedelta(minutes=minutes)
	bridge.queue_redis().hset(f"rq:job:{job_id}", "enqueued_at", at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))


class TestJobsAPI(rest.ApiTestCase):
	def setUp(self):
		get_queue("short").empty()

	def test_queue_status_over_rest(self):
		"""A manager sees every bench queue with counts, workers and advice; queued jobs are counted."""
		for _ in range(3):
			frappe.enqueue("frappe.ping", queue="short")
		response = rest.call("perf_engine.api.get_queue_status", self.manager)
		self.assertEqual(response.status_code, 200, response.text)
		rows = {row["queue"]: row for row in response.message}
		self.assertLessEqual({"default", "short", "long"}, set(rows))
		self.assertEqual(rows["short"]["queued"], 3)
		self.assertIn("advice", rows["short"])

	def test_guest_and_plain_users_are_refused(self):
		"""Every jobs method answers 403 to Guest and to a user without a manager role."""
		for method, args in (
			("perf_engine.api.get_queue_status", {}),
			("perf_engine.api.get_jobs", {"queue": "short"}),
			("perf_engine.api.detect_stalled_jobs", {}),
			("perf_engine.api.stop_job", {"job_id": "x"}),
			("perf_engine.api.requeue_job", {"job_id": "x"}),
		):
			self.assertEqual(rest.call(method, None, **args).status_code, 403, method)
			self.assertEqual(rest.call(method, self.plain, **args).status_code, 403, method)

	def test_jobs_listing_and_foreign_job_ids(self):
		"""Listing shows this site's queued jobs; another site's job id cannot be stopped from here."""
		job = frappe.enqueue("frappe.ping", queue="short")
		page = rest.call("perf_engine.api.get_jobs", self.manager, queue="short", registry="queued").message
		self.assertIn(job.id, [j["job_id"] for j in page["jobs"]])
		self.assertEqual(rest.call("perf_engine.api.get_jobs", self.manager, queue="nope").status_code, 417)
		self.assertEqual(
			rest.call("perf_engine.api.stop_job", self.manager, job_id="other.site::abc").status_code, 403
		)

	def test_stalls_are_recorded_once_notified_and_resolved(self):
		"""A job waiting 30 min is recorded and notified once; when it is gone the record resolves."""
		frappe.db.delete("Stalled Job")
		frappe.db.delete("Notification Log", {"document_type": "Stalled Job"})
		job = frappe.enqueue("frappe.ping", queue="short")
		age_job(job.id, 30)
		findings = jobs.check_stalls()
		stall = next(f for f in findings if f["job_id"] == job.id)
		self.assertEqual(stall["kind"], "queue_waiting")
		name = frappe.get_all("Stalled Job", filters={"job_id": job.id}, pluck="name")[0]
		jobs.check_stalls()
		self.assertEqual(frappe.db.count("Stalled Job", {"job_id": job.id}), 1)
		self.assertEqual(
			frappe.db.count("Notification Log", {"document_name": name, "for_user": rest.MANAGER_USER}), 1
		)
		get_queue("short").empty()
		jobs.check_stalls()
		self.assertEqual(frappe.db.get_value("Stalled Job", name, "status"), "Resolved")

	def test_lost_scheduled_job_is_a_zombie_and_auto_remediation_requeues_it(self):
		"""A scheduled job type's job lost from its queue is reported; with auto-remediation on it is requeued."""
		queue = get_queue("short")
		job = frappe.enqueue("frappe.ping", queue="short", job_id=f"scheduled_job::{HOOK}")
		queue.remove(job)
		with change_settings(SETTINGS, {"auto_remediate_stalls": 1}):
			findings = jobs.check_stalls()
		zombie = next(f for f in findings if f["job_id"] == job.id)
		self.assertEqual((zombie["kind"], zombie["action"]), ("zombie_scheduled", "requeue"))
		name = frappe.get_all(
			"Stalled Job", filters={"job_id": job.id, "kind": "zombie_scheduled"}, pluck="name"
		)[0]
		self.assertEqual(frappe.db.get_value("Stalled Job", name, "remediation"), "requeued lost job")
		self.assertIn(job.id, queue.job_ids)

	def test_other_sites_jobs_are_left_to_their_own_site(self):
		"""Another site's orphan, which the core does report, is neither recorded nor requeued from here."""
		queue = get_queue("short")
		connection = bridge.queue_redis()
		other = queue.enqueue_call("frappe.ping", job_id="other.site::orphan")
		queue.remove(other)
		connection.hset(other.key, mapping={"status": "started", "worker_name": "gone-worker"})
		connection.zadd(StartedJobRegistry(queue=queue).key, {other.id: time.time() - 10})
		self.addCleanup(lambda: (StartedJobRegistry(queue=queue).remove(other), other.delete()))
		self.assertIn(
			other.id,
			[f.job_id for f in stalls.detect(connection, jobs.bench_queues(), settings.get().stall_limits)],
		)
		with change_settings(SETTINGS, {"auto_remediate_stalls": 1}):
			findings = jobs.check_stalls()
		self.assertNotIn(other.id, [f["job_id"] for f in findings])
		self.assertFalse(frappe.db.exists("Stalled Job", {"job_id": other.id}))
		self.assertEqual(other.get_status(refresh=True), "started")

	def test_each_job_records_its_workers_host_through_the_before_job_hook(self):
		"""A real Frappe worker's horse records, as the job starts, that it ran here: this host, the job, its pid."""
		job = frappe.enqueue("frappe.ping", queue="short")
		rest.run_burst_worker("short")
		job = Job.fetch(job.id, connection=bridge.queue_redis())
		self.addCleanup(lambda: (bridge.queue_redis().hdel(WORKER_HOSTS, job.worker_name), job.delete()))
		self.assertEqual(job.get_status(), JobStatus.FINISHED)
		record = recall(bridge.queue_redis(), [job.worker_name]).get(job.worker_name)
		self.assertIsNotNone(record, "the before_job hook recorded nothing")
		self.assertEqual((record.host, record.job_id), (this_host(), job.id))
		self.assertGreater(record.horse_pid, 0)

	def test_a_job_on_another_host_is_never_requeued_without_force(self):
		"""A started job whose silent worker ran on another host: reported as worker_lost on that host, left alone by
		auto-remediation, refused by the API without force, requeued with force=1."""
		queue = get_queue("short")
		connection = bridge.queue_redis()
		job = frappe.enqueue("frappe.ping", queue="short")
		queue.remove(job)
		worker_name = f"gone-{frappe.generate_hash(length=8)}"
		connection.hset(job.key, mapping={"status": "started", "worker_name": worker_name})
		connection.zadd(StartedJobRegistry(queue=queue).key, {job.id: time.time() + 60})
		store(
			connection,
			WorkerHost(
				worker_name,
				Host("app-server-2", "another-boot", "pid:[4026532999]"),
				1000,
				7,
				1,
				8,
				2,
				job.id,
				time.time() + 600,
			),
			time.time(),
		)
		self.addCleanup(
			lambda: (
				connection.hdel(WORKER_HOSTS, worker_name),
				StartedJobRegistry(queue=queue).remove(job),
				queue.remove(job),
				job.delete(),
				frappe.db.delete("Stalled Job", {"job_id": job.id}),
			)
		)
		with change_settings(SETTINGS, {"auto_remediate_stalls": 1}):
			findings = jobs.check_stalls()
		lost = next(f for f in findings if f["job_id"] == job.id)
		self.assertEqual(
			(lost["kind"], lost["action"], lost["host"]), ("worker_lost", "warn", "app-server-2")
		)
		self.assertIn(
			"may still be running on host app-server-2 (cannot be inspected from here)", lost["detail"]
		)
		self.assertFalse(frappe.db.get_value("Stalled Job", {"job_id": job.id}, "remediation"))
		self.assertEqual(job.get_status(refresh=True), "started")
		refused = rest.call("perf_engine.api.requeue_job", self.manager, job_id=job.id)
		self.assertEqual(refused.status_code, 417, refused.text)
		self.assertIn("app-server-2", refused.text)
		self.assertEqual(job.get_status(refresh=True), "started")
		forced = rest.call("perf_engine.api.requeue_job", self.manager, job_id=job.id, force=1)
		self.assertEqual(forced.status_code, 200, forced.text)
		self.assertEqual(forced.message["action"], "requeued orphan")
		self.assertIn(job.id, queue.job_ids)

	def test_check_is_scheduled_and_runs_through_the_scheduler(self):
		"""The check rides the tick, an "All" Scheduled Job Type (no log row); executing it runs the check when due."""
		job_type = frappe.get_doc("Scheduled Job Type", {"method": HOOK})
		self.assertEqual((job_type.frequency, job_type.create_log), ("All", 0))
		job = frappe.enqueue("frappe.ping", queue="short")
		age_job(job.id, 30)
		frappe.cache.delete_value(jobs.LAST_RUN_KEY)
		job_type.execute()
		self.assertTrue(frappe.db.exists("Stalled Job", {"job_id": job.id, "status": "Open"}))

	def test_routed_enqueue_runs_on_a_real_worker(self):
		"""A 10 s job goes to short with a 300 s timeout and a real Frappe worker runs it."""
		job_id = jobs.enqueue("frappe.ping", estimated_duration_s=10)
		job = Job.fetch(job_id, connection=bridge.queue_redis())
		self.assertTrue(job_id.startswith(f"{frappe.local.site}::"))
		self.assertEqual((job.origin, job.timeout), (get_queue("short").name, 300))
		rest.run_burst_worker("short")
		self.assertEqual(job.get_status(refresh=True), JobStatus.FINISHED)

	def test_fan_out_over_a_doctype(self):
		"""Fan-out over ToDo makes one job per 10 names and reports them pending."""
		for i in range(25):
			frappe.get_doc({"doctype": "ToDo", "description": f"fan-out {i}"}).insert()
		result = jobs.fan_out("ToDo", "frappe.ping", chunk_size=10, estimated_chunk_s=10)
		self.assertEqual(result["chunks"], math.ceil(frappe.db.count("ToDo") / 10))
		progress = rest.call(
			"perf_engine.api.get_fanout_progress", self.manager, fanout_id=result["fanout_id"]
		).message
		self.assertEqual((progress["total"], progress["pending"]), (result["chunks"], result["chunks"]))
		get_queue("short").empty()
