import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import frappe
import redis
from frappe.utils import get_bench_path, now_datetime
from prometheus_client.parser import text_string_to_metric_families

from perf_engine.services import bridge, overview
from perf_engine.tests import rest

SUBSYSTEMS = {
	"queues",
	"jobs",
	"stalls",
	"redis",
	"indexes",
	"thresholds",
	"capacity",
	"scheduler",
	"mariadb",
	"database",
	"footprint",
}


class TestOverview(rest.ApiTestCase):
	def test_health_covers_every_subsystem(self):
		"""get_health answers every subsystem with a status, a reason and, when not ok, an action."""
		health = rest.call("perf_engine.api.get_health", self.manager).message
		self.assertEqual(set(health["subsystems"]), SUBSYSTEMS)
		for name, part in health["subsystems"].items():
			self.assertIn(part["status"], ("ok", "warning", "critical"), name)
			self.assertTrue(part["reason"], name)
			if part["status"] != "ok":
				self.assertTrue(part["action"], name)

	def test_health_answers_with_redis_stopped(self):
		"""With the cache and queue Redis unreachable, queues and redis are unknown and the rest still answer."""
		originals = bridge.cache_redis, bridge.queue_redis
		dead = lambda: redis.Redis(port=1, socket_connect_timeout=0.2)  # noqa: E731
		bridge.cache_redis = bridge.queue_redis = dead
		try:
			health = overview.health()
			found = overview.figures()
		finally:
			bridge.cache_redis, bridge.queue_redis = originals
		self.assertEqual(health["subsystems"]["queues"]["status"], "unknown")
		self.assertEqual(health["subsystems"]["redis"]["status"], "unknown")
		self.assertIn("Connection", health["subsystems"]["redis"]["reason"])
		for name in ("stalls", "indexes", "thresholds", "capacity", "scheduler", "mariadb", "database"):
			self.assertNotEqual(health["subsystems"][name]["status"], "unknown", name)
		self.assertIsNone(found["queues"])
		self.assertIsNotNone(found["counts"])

	def test_metrics_parse_as_prometheus_text(self):
		"""The metrics endpoint answers an API-key scrape with text Prometheus' own parser reads."""
		response = rest.call("perf_engine.api.metrics", self.performance_manager, http_method="GET")
		self.assertEqual(response.status_code, 200, response.text)
		families = {f.name: f for f in text_string_to_metric_families(response.text)}
		self.assertLessEqual(
			{
				"perf_engine_queue_jobs",
				"perf_engine_health",
				"perf_engine_redis_used_bytes",
				"perf_engine_stalled_jobs_open",
			},
			set(families),
		)
		health = {s.labels["subsystem"] for s in families["perf_engine_health"].samples}
		self.assertEqual(health, SUBSYSTEMS)
		queues = {s.labels["queue"] for s in families["perf_engine_queue_jobs"].samples}
		self.assertLessEqual({"default", "short", "long"}, queues)

	def test_cli_and_api_serve_the_same_metric_names(self):
		"""`perf-engine --bench --site metrics` serves exactly the metric names the API method serves."""
		api = rest.call("perf_engine.api.metrics", self.manager, http_method="GET")
		command = [Path(sys.executable).parent / "perf-engine", "--bench", get_bench_path()]
		cli = subprocess.run(
			[*command, "--site", frappe.local.site, "metrics"], capture_output=True, text=True, check=False
		)
		self.assertEqual(cli.returncode, 0, cli.stderr)
		names = lambda text: {f.name for f in text_string_to_metric_families(text)}  # noqa: E731
		self.assertIn("perf_engine_health", names(cli.stdout))
		self.assertEqual(names(cli.stdout), names(api.text))

	def test_permissions_for_every_role(self):
		"""Guest and a plain user are refused; a Performance Manager and a System Manager are served."""
		for method in (
			"perf_engine.api.get_health",
			"perf_engine.api.get_footprint",
			"perf_engine.api.metrics",
			"perf_engine.api.get_queue_status",
			"perf_engine.api.get_redis_memory",
			"perf_engine.api.queued_jobs_card",
		):
			self.assertEqual(rest.call(method, None, http_method="GET").status_code, 403, method)
			self.assertEqual(rest.call(method, self.plain, http_method="GET").status_code, 403, method)
			self.assertEqual(
				rest.call(method, self.performance_manager, http_method="GET").status_code, 200, method
			)
			self.assertEqual(rest.call(method, self.manager, http_method="GET").status_code, 200, method)

	def test_snapshots_are_taken_and_pruned_after_retention(self):
		"""A snapshot records the figures; one older than the retention period is deleted by the daily job."""
		fresh = overview.take_snapshot()
		old = overview.take_snapshot()
		frappe.db.set_value("Perf Snapshot", old, "taken_at", now_datetime() - timedelta(days=30))
		deleted = overview.prune_history()
		self.assertGreaterEqual(deleted["Perf Snapshot"], 1)
		self.assertFalse(frappe.db.exists("Perf Snapshot", old))
		self.assertTrue(frappe.db.exists("Perf Snapshot", fresh))
		self.assertIsNotNone(frappe.db.get_value("Perf Snapshot", fresh, "queued_jobs"))

	def test_history_jobs_are_scheduled(self):
		"""The tick (which takes the snapshots) and the daily pruning are Scheduled Job Types."""
		for method in ("perf_engine.tasks.tick.run_due", "perf_engine.tasks.history.prune_history"):
			self.assertTrue(frappe.db.exists("Scheduled Job Type", {"method": method}), method)

	def test_workspace_and_its_parts_are_installed(self):
		"""The workspace, its number cards, charts and the health block exist after install."""
		workspace = frappe.get_doc("Workspace", "Perf Engine")
		self.assertEqual(len(workspace.number_cards), 5)
		# Queue depth, Redis memory, violations, and request p50/p95/p99 over days.
		self.assertEqual(len(workspace.charts), 6)
		self.assertTrue(frappe.db.exists("Custom HTML Block", "Perf Engine Health"))
		for card in workspace.number_cards:
			self.assertTrue(frappe.db.exists("Number Card", card.number_card_name))
