"""Checked against a peer on a real bench: rq-exporter 2.1.2 reads the bench's queue Redis while a real
Frappe worker runs this site's jobs that succeed, fail and time out; its per-worker counters equal the
workers get_job_stats reports, and its jobs per queue and status equal get_queue_status."""

import socket
import subprocess
import sys
import time
import urllib.request

import frappe
from frappe.utils import get_bench_path
from frappe.utils.background_jobs import get_queue
from prometheus_client.parser import text_string_to_metric_families
from rq import Worker

from perf_engine.core.jobstats.keys import SAMPLING_LOCK
from perf_engine.services import bridge
from perf_engine.tests import rest

HANDLERS = "perf_engine.tests.job_handlers"
NAP, FAIL = f"{HANDLERS}.nap", f"{HANDLERS}.fail"
START_TIMEOUT_S = 60
# rq-exporter's status label -> the count get_queue_status gives.
STATUSES = ("queued", "started", "finished", "failed", "deferred", "scheduled")


def free_port() -> int:
	with socket.socket() as probe:
		probe.bind(("127.0.0.1", 0))
		return probe.getsockname()[1]


def wait_for(condition, what: str, timeout_s: float = START_TIMEOUT_S):
	"""The condition's first truthy value, polled; the test fails naming `what` after `timeout_s`."""
	deadline = time.monotonic() + timeout_s
	while time.monotonic() < deadline:
		if found := condition():
			return found
		time.sleep(0.2)
	raise AssertionError(f"timed out waiting for {what}")


def scrape(url: str) -> dict[str, dict[tuple, float]]:
	"""rq-exporter's samples by name, each keyed by its sorted labels."""
	found: dict[str, dict[tuple, float]] = {}
	text = urllib.request.urlopen(url, timeout=10).read().decode()
	for family in text_string_to_metric_families(text):
		for sample in family.samples:
			found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
	return found


def per_worker(samples: dict[tuple, float]) -> dict[str, float]:
	return {dict(labels)["name"]: value for labels, value in samples.items()}


class TestJobStatsPeer(rest.ApiTestCase):
	def setUp(self):
		self.processes: list[subprocess.Popen] = []
		self.addCleanup(self.stop_processes)
		self.addCleanup(get_queue("short").empty)

	def stop_processes(self):
		for process in self.processes:
			process.terminate()
			process.wait(timeout=30)

	def start(self, command: list[str], **kwargs) -> subprocess.Popen:
		process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)
		self.processes.append(process)
		return process

	def start_exporter(self) -> str:
		"""rq-exporter on the bench's queue Redis, serving on a free loopback port."""
		port = free_port()
		self.start(
			[
				sys.executable,
				"-m",
				"rq_exporter",
				"--redis-url",
				frappe.conf.redis_queue,
				"--host",
				"127.0.0.1",
				"--port",
				str(port),
			]
		)
		url = f"http://127.0.0.1:{port}/metrics"
		wait_for(lambda: self.answers(url), "rq-exporter to serve")
		return url

	@staticmethod
	def answers(url: str) -> bool:
		try:
			urllib.request.urlopen(url, timeout=2).read()
			return True
		except OSError:
			return False

	def start_worker(self) -> str:
		"""A real Frappe worker (`bench worker --queue short`, not burst: its counters stay registered)."""
		queue = get_queue("short")
		before = {w.name for w in Worker.all(queue=queue)}
		command = [sys.executable, "-m", "frappe.utils.bench_helper", "frappe", "--site", frappe.local.site]
		self.start([*command, "worker", "--queue", "short"], cwd=f"{get_bench_path()}/sites")
		started = wait_for(
			lambda: {w.name for w in Worker.all(queue=queue)} - before, "the worker to register"
		)
		return started.pop()

	def test_worker_counters_and_queue_counts_equal_rq_exporters(self):
		"""rq_workers_success_total, rq_workers_failed_total, rq_workers_working_time_total per worker and rq_jobs
		per queue and status equal perf_engine's figures for the same worker and queues."""
		exporter = self.start_exporter()
		worker = self.start_worker()
		jobs = [frappe.enqueue(NAP, queue="short", seconds=0.2) for _ in range(3)]
		jobs += [frappe.enqueue(FAIL, queue="short", message=f"row {n} is locked") for n in range(2)]
		jobs.append(frappe.enqueue(NAP, queue="short", timeout=1, seconds=4))
		wait_for(
			lambda: all(job.get_status(refresh=True) in ("finished", "failed") for job in jobs),
			"the jobs to end",
		)
		connection = bridge.queue_redis()
		wait_for(lambda: connection.hget(f"rq:worker:{worker}", "state") == b"idle", "the worker to be idle")

		theirs = scrape(exporter)
		connection.delete(SAMPLING_LOCK)
		stats = rest.call("perf_engine.api.get_job_stats", self.manager).message
		ours = {w["name"]: w for w in stats["workers"]}
		self.assertEqual(set(per_worker(theirs["rq_workers_success_total"])), set(ours))
		self.assertEqual(
			per_worker(theirs["rq_workers_success_total"]), {n: w["successful_jobs"] for n, w in ours.items()}
		)
		self.assertEqual(
			per_worker(theirs["rq_workers_failed_total"]), {n: w["failed_jobs"] for n, w in ours.items()}
		)
		for name, seconds in per_worker(theirs["rq_workers_working_time_total"]).items():
			self.assertAlmostEqual(seconds, ours[name]["working_time_s"], places=5)
		self.assertEqual((ours[worker]["successful_jobs"], ours[worker]["failed_jobs"]), (3, 3))

		counts = {
			row["rq_name"]: row for row in rest.call("perf_engine.api.get_queue_status", self.manager).message
		}
		# rq-exporter lists every queue RQ ever registered in this Redis (another app's or test's too);
		# perf_engine reports the bench's queues: each of those must agree.
		found = {
			(dict(labels)["queue"], dict(labels)["status"]): v
			for labels, v in theirs["rq_jobs"].items()
			if dict(labels)["queue"] in counts
		}
		self.assertEqual({queue for queue, _ in found}, set(counts))
		for (queue, status), value in found.items():
			self.assertIn(status, STATUSES)
			self.assertEqual(counts[queue][status], value, (queue, status))
