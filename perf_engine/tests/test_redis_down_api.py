"""Every whitelisted method that touches Redis, over REST, with perf_engine's Redis clients (and
Frappe's own RQ connection) pointed at a closed port: a Frappe error whose one line names the
service and where it is, or an answer whose Redis parts say so; never a 500, never a traceback."""

import socket

import frappe
import redis
from frappe.utils import background_jobs

from perf_engine.core.errors import RedisUnavailable
from perf_engine.core.indexes.recommendation import ADD, index_name, key
from perf_engine.services import bridge
from perf_engine.tests import rest

UNAVAILABLE = 503


def closed_port() -> int:
	with socket.socket() as probe:
		probe.bind(("127.0.0.1", 0))
		return probe.getsockname()[1]


class TestRedisDown(rest.ApiTestCase):
	def setUp(self):
		self.port = closed_port()
		self.where = f"127.0.0.1:{self.port}/0"
		closed = redis.ConnectionPool(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)
		self.originals = bridge.cache_pool, background_jobs._redis_queue_conn
		bridge.cache_pool = lambda: closed
		# Frappe hands out this connection to RQ users, perf_engine's queue client included.
		background_jobs._redis_queue_conn = redis.Redis(connection_pool=closed)

	def tearDown(self):
		bridge.cache_pool, background_jobs._redis_queue_conn = self.originals

	def assert_unavailable(self, response: rest.Response, service: str) -> None:
		self.assertEqual(response.status_code, UNAVAILABLE, response.text)
		self.assertNotIn("Traceback", response.text)
		self.assertIn(f"{service} at {self.where}: cannot connect", response.text)

	def test_methods_that_need_the_queue_redis(self):
		"""Queue status, listings, stalls, stop, requeue and fan-out progress answer 503 naming the queue Redis."""
		site = frappe.local.site
		for method, args in (
			("perf_engine.api.get_queue_status", {}),
			("perf_engine.api.get_jobs", {"queue": "short"}),
			("perf_engine.api.detect_stalled_jobs", {}),
			("perf_engine.api.stop_job", {"job_id": f"{site}::gone"}),
			("perf_engine.api.requeue_job", {"job_id": f"{site}::gone"}),
			("perf_engine.api.get_fanout_progress", {"fanout_id": "gone"}),
		):
			with self.subTest(method):
				self.assert_unavailable(rest.call(method, self.manager, **args), "queue Redis")

	def test_methods_that_need_the_cache_redis(self):
		"""Memory status, cleanup and warming answer 503 naming the cache Redis; no cleanup is logged."""
		logs = frappe.db.count("Redis Cleanup Log")
		for method, args in (
			("perf_engine.api.get_redis_memory", {}),
			("perf_engine.api.cleanup_redis", {"dry_run": 1, "force": 1}),
			("perf_engine.api.warm_caches", {}),
		):
			with self.subTest(method):
				self.assert_unavailable(rest.call(method, self.manager, **args), "cache Redis")
		self.assertEqual(frappe.db.count("Redis Cleanup Log"), logs)

	def test_event_activity_and_sla_name_the_redis_that_is_down(self):
		"""The event activity and SLA methods answer 503 with the one service line, no traceback."""
		for method in ("perf_engine.api.get_event_activity", "perf_engine.api.get_sla"):
			with self.subTest(method):
				response = rest.call(method, self.manager)
				self.assertEqual(response.status_code, UNAVAILABLE, response.text)
				self.assertNotIn("Traceback", response.text)
				self.assertRegex(response.text, rf"(queue|cache) Redis at {self.where}: cannot connect")

	def test_readiness_fails_only_the_lines_redis_feeds_and_answers_the_rest(self):
		"""Each line fed by a Redis that is down fails with that service's one line; the others still answer."""
		response = rest.call("perf_engine.api.readiness", self.manager)
		self.assertEqual(response.status_code, 200, response.text)
		lines = {line["line"]: line for line in response.message["lines"]}
		for name, service in (("caching", "cache Redis"), ("background_workers", "queue Redis")):
			self.assertEqual(lines[name]["status"], "failing")
			self.assertIn(f"{service} at {self.where}: cannot connect", lines[name]["evidence"])
			self.assertNotIn("Traceback", lines[name]["evidence"])
		self.assertNotIn(self.where, lines["load_test"]["evidence"])

	def test_index_apply_through_frappes_own_enqueue(self):
		"""Queueing an index change while the queue Redis is down is a 503, and the finding stays Open."""
		name = key("tabToDo", ("priority",), ADD, index_name(("priority",)))
		frappe.delete_doc_if_exists("Index Recommendation", name, force=True)
		finding = frappe.get_doc(
			{
				"doctype": "Index Recommendation",
				"name": name,
				"table_name": "tabToDo",
				"reference_doctype": "ToDo",
				"columns": "priority",
				"index_name": index_name(("priority",)),
				"kind": ADD,
				"status": "Open",
			}
		)
		# Stored as the analysis stores it, so only the queue Redis can stop the apply.
		finding.flags.from_analysis = True
		finding.insert(ignore_permissions=True, set_name=name)
		frappe.db.commit()
		try:
			response = rest.call("perf_engine.api.apply_index_recommendation", self.manager, name=name)
			self.assertEqual(response.status_code, UNAVAILABLE, response.text)
			self.assertNotIn("Traceback", response.text)
			self.assertIn("cannot connect", response.text)
			self.assertEqual(frappe.db.get_value("Index Recommendation", name, "status"), "Open")
		finally:
			frappe.delete_doc("Index Recommendation", name, force=True, ignore_permissions=True)
			frappe.db.commit()

	def test_overview_capacity_and_cards_still_answer(self):
		"""Health, metrics, capacity and the number cards answer 200; their Redis parts name the service."""
		health = rest.call("perf_engine.api.get_health", self.manager, http_method="GET")
		self.assertEqual(health.status_code, 200, health.text)
		for part, service in (("queues", "queue Redis"), ("redis", "cache Redis")):
			self.assertEqual(health.message["subsystems"][part]["status"], "unknown")
			self.assertIn(f"{service} at {self.where}", health.message["subsystems"][part]["reason"])
		metrics = rest.call("perf_engine.api.metrics", self.manager, http_method="GET")
		self.assertEqual(metrics.status_code, 200, metrics.text)
		self.assertIn("perf_engine_health", metrics.text)
		capacity = rest.call(
			"perf_engine.api.calculate_capacity",
			self.manager,
			concurrent_users=50,
			transactions_per_user_per_hour=10,
		)
		self.assertEqual(capacity.status_code, 200, capacity.text)
		self.assertEqual(capacity.message["comparison"]["service"], "queue Redis")
		self.assertEqual(capacity.message["measured"]["service"], "cache Redis")
		self.assertEqual(capacity.message["recommendation"]["gunicorn_workers"]["recommended"], 1)
		for card in ("perf_engine.api.queued_jobs_card", "perf_engine.api.redis_used_card"):
			self.assertEqual(rest.call(card, self.manager, http_method="GET").status_code, 200, card)
		for response in (health, metrics, capacity):
			self.assertNotIn("Traceback", response.text)

	def test_first_connection_of_a_process_is_mapped_too(self):
		"""Frappe pings the queue Redis when a process first asks for it; that refusal is the same error."""
		background_jobs._redis_queue_conn = None
		configured = frappe.local.conf.redis_queue
		frappe.local.conf.redis_queue = f"redis://{self.where}"
		try:
			with self.assertRaises(RedisUnavailable) as raised:
				bridge.queue_redis()
		finally:
			frappe.local.conf.redis_queue = configured
			background_jobs._redis_queue_conn = None
		self.assertEqual((raised.exception.service, raised.exception.location), ("queue Redis", self.where))
		self.assertIn("redis_queue in common_site_config.json", str(raised.exception))
