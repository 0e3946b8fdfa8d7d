"""The event bus end to end on the test site, with real Frappe RQ workers (`bench worker --burst`).

Subscribers are declared by replacing the cached hooks for the test's duration
(`event_handlers.subscribed`); deliveries are routed to the short queue, which each test
empties first, and burst workers drain it.
"""

import contextlib
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import frappe
import pymysql
import redis
from frappe.tests.utils import FrappeTestCase
from frappe.utils.background_jobs import get_queue
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from perf_engine.core.events import counters, names, outbox, retry
from perf_engine.core.events.subscribers import Subscriber
from perf_engine.core.jobs import keys as job_keys
from perf_engine.events import publish
from perf_engine.services import bridge, events, jobs, overview
from perf_engine.tests import browser, event_handlers, rest
from perf_engine.tests.test_redis_down_api import closed_port

HANDLERS = "perf_engine.tests.event_handlers"
TICK = "perf_engine.tasks.tick.run_due"
OUTBOX = "Perf Event Outbox"
TEST_EVENTS = "perf_engine_test.%"
SUBSCRIBER_HTML = '<img src=x id="pe-injected-subscriber">'
ERROR_HTML = "RuntimeError: <b id='pe-injected-error'>boom</b>"


class TestEventBus(rest.ApiTestCase):
	def setUp(self):
		# Counters are per event name and outlive a test: each test publishes an event of its own.
		self.event = f"perf_engine_test.{frappe.generate_hash(length=10)}"
		self.short = get_queue("short")
		self.short.empty()
		bridge.queue_redis().delete(ScheduledJobRegistry(queue=self.short).key)
		event_handlers.forget_received()
		frappe.db.delete("Perf Event Failure", {"event": ("like", TEST_EVENTS)})
		frappe.db.delete(OUTBOX, {"event": ("like", TEST_EVENTS)})
		frappe.db.commit()

	def tearDown(self):
		frappe.db.rollback()
		self.short.empty()
		frappe.db.delete("Perf Event Failure", {"event": ("like", TEST_EVENTS)})
		frappe.db.delete(OUTBOX, {"event": ("like", TEST_EVENTS)})
		frappe.db.delete("ToDo", {"description": ("like", "always_fail %")})
		frappe.db.commit()

	def subscribe(self, *entries):
		"""Declare these subscribers of self.event for the test; checks Frappe now reads them."""
		declared = {self.event: list(entries)}
		context = event_handlers.subscribed(declared)
		context.__enter__()
		self.addCleanup(context.__exit__, None, None, None)
		self.assertEqual(frappe.get_hooks(events.HOOK), declared)

	def drain(self) -> None:
		"""Run a real Frappe worker on the short queue until it is empty."""
		rest.run_burst_worker("short")

	def promote_retries(self) -> None:
		"""What the minute tick does once the longest backoff has passed."""
		jobs.promote_due_jobs(now=time.time() + retry.BACKOFF_CAP_S + 1)

	def counts(self) -> dict:
		rows = events.activity(5)["events"]
		return next((row for row in rows if row["event"] == self.event), {})

	def outbox_rows(self) -> list[str]:
		"""This test's outbox rows as a fresh transaction sees them (what another process would see)."""
		return frappe.get_all(OUTBOX, filters={"event": self.event}, pluck="name")

	def test_rollback_delivers_nothing(self):
		"""A rolled-back publish enqueues nothing, not even at the next commit; its outbox row goes with it."""
		self.subscribe(f"{HANDLERS}.record")
		publish(self.event, {"name": "rolled back"})
		self.assertEqual(len(self.outbox_rows()), 1, "the row is written in the publisher's transaction")
		frappe.db.rollback()
		frappe.db.commit()  # the next transaction's commit must not carry the rolled-back event
		self.assertEqual(self.outbox_rows(), [])
		self.assertEqual(self.short.count, 0)
		self.drain()
		self.assertEqual(event_handlers.received(), [])
		self.assertEqual(self.counts(), {})

	def test_commit_delivers_once_to_each_subscriber(self):
		"""Nothing is enqueued before the commit; after it each subscriber gets its own job and one delivery."""
		self.subscribe(f"{HANDLERS}.record", f"{HANDLERS}.record_too")
		event_id = publish(self.event, {"name": "INV-1", "amount": 12.5})
		self.assertEqual(self.short.count, 0)
		frappe.db.commit()
		self.assertEqual(self.short.count, 2)
		frappe.db.rollback()  # the row's delete was committed, not left in this open transaction
		self.assertEqual(self.outbox_rows(), [], "every delivery enqueued: the outbox row is deleted")
		self.drain()
		received = event_handlers.received()
		self.assertEqual(sorted(r["handler"] for r in received), ["record", "record_too"])
		for entry in received:
			self.assertEqual(
				(entry["event"], entry["payload"]), (self.event, {"name": "INV-1", "amount": 12.5})
			)
		keys = {r["key"] for r in received}
		self.assertEqual(len(keys), 2, "each subscriber has its own idempotency key")
		self.assertEqual(
			keys,
			{
				names.idempotency_key(self.event, event_id, f"{HANDLERS}.{h}")
				for h in ("record", "record_too")
			},
		)
		counts = self.counts()
		self.assertEqual((counts["published"], counts["delivered"], counts["failed"]), (1, 2, 0))

	def test_delivery_is_routed_by_the_subscribers_expected_duration(self):
		"""A subscriber expected to take 10 minutes is delivered on the long queue with its timeout."""
		self.subscribe({"handler": f"{HANDLERS}.record", "estimated_duration_s": 600})
		long_queue = get_queue("long")
		before = set(long_queue.job_ids)
		publish(self.event, {})
		frappe.db.commit()
		(job_id,) = set(long_queue.job_ids) - before
		job = Job.fetch(job_id, connection=bridge.queue_redis())
		self.addCleanup(lambda: (long_queue.remove(job), job.delete()))
		self.assertEqual((job.timeout, job.kwargs["method"]), (7200, events.DELIVER))
		self.assertEqual(self.short.count, 0)

	def test_failing_subscriber_is_retried_then_recorded(self):
		"""A subscriber that always raises is tried its 3 attempts, each rolled back, then kept as a Perf Event Failure."""
		self.subscribe({"handler": f"{HANDLERS}.always_fail", "attempts": 3}, f"{HANDLERS}.record")
		event_id = publish(self.event, {"name": "INV-2"})
		frappe.db.commit()
		self.drain()
		scheduled = ScheduledJobRegistry(queue=self.short)
		self.assertEqual(scheduled.count, 1, "the failed delivery waits for its backoff")
		self.assertEqual(self.short.count, 0)
		for _ in range(2):
			self.promote_retries()
			self.drain()
		self.assertEqual(scheduled.count, 0, "no attempt after the last")
		tries = [r for r in event_handlers.received() if r["handler"] == "always_fail"]
		self.assertEqual(len(tries), 3)
		self.assertEqual(len({r["key"] for r in tries}), 1, "every attempt carries the same key")
		self.assertEqual([r["handler"] for r in event_handlers.received()].count("record"), 1)
		frappe.db.rollback()  # a fresh snapshot: the worker committed what follows
		self.assertFalse(frappe.db.exists("ToDo", {"description": ("like", "always_fail %")}))
		(failure,) = frappe.get_all("Perf Event Failure", filters={"event": self.event}, fields=["*"])
		self.assertEqual(
			(failure.subscriber, failure.attempts, failure.event_id, failure.idempotency_key, failure.queue),
			(f"{HANDLERS}.always_fail", 3, event_id, tries[0]["key"], "short"),
		)
		self.assertIn("RuntimeError: subscriber failed", failure.error)
		self.assertIn("always_fail", failure.traceback)
		self.assertEqual(frappe.parse_json(failure.payload), {"name": "INV-2"})
		counts = self.counts()
		self.assertEqual(
			(counts["published"], counts["delivered"], counts["retried"], counts["failed"]), (1, 1, 2, 1)
		)
		activity = rest.call("perf_engine.api.get_event_activity", self.performance_manager, window_minutes=5)
		self.assertEqual(activity.status_code, 200, activity.text)
		self.assertIn(failure.name, [f["name"] for f in activity.message["recent_failures"]])
		self.assertIn(self.event, [row["event"] for row in activity.message["events"]])

	def test_duplicate_delivery_carries_the_same_idempotency_key(self):
		"""A retry after a failed attempt and a requeued finished job both deliver the first attempt's key."""
		self.subscribe(f"{HANDLERS}.fail_once")
		publish(self.event, {"name": "INV-3"})
		frappe.db.commit()
		self.drain()
		self.promote_retries()
		job_id = self.short.job_ids[0]
		self.drain()
		job = Job.fetch(job_id, connection=bridge.queue_redis())
		self.assertEqual(job.get_status(), "finished")
		self.short.enqueue_job(job)  # what requeueing a job whose result was lost does
		self.drain()
		deliveries = event_handlers.received()
		self.assertEqual(len(deliveries), 3)
		self.assertEqual(len({d["key"] for d in deliveries}), 1)
		self.assertEqual(self.counts()["delivered"], 2)

	def test_the_publishers_key_names_the_fact(self):
		"""Publishing the same key twice gives the subscriber the same idempotency key twice; bad input is refused."""
		self.subscribe(f"{HANDLERS}.record")
		self.assertEqual(publish(self.event, {"n": 1}, key="INV-4:1"), "INV-4:1")
		publish(self.event, {"n": 1}, key="INV-4:1")
		frappe.db.commit()
		self.drain()
		self.assertEqual(len({d["key"] for d in event_handlers.received()}), 1)
		self.assertEqual(len(event_handlers.received()), 2)
		for bad in (
			lambda: publish("bad name", {}),
			lambda: publish(self.event, {"doc": frappe.get_doc("User", "Administrator")}),
		):
			with self.assertRaises(frappe.ValidationError):
				bad()

	def test_queue_redis_down_at_commit_the_sweep_delivers_once_it_is_back(self):
		"""Redis down at commit keeps the outbox row; then the tick sends each subscriber one job, same key."""
		self.subscribe(f"{HANDLERS}.record", f"{HANDLERS}.record_too")
		frappe.set_user(rest.PLAIN_USER)
		self.addCleanup(frappe.set_user, "Administrator")
		event_id = publish(self.event, {"name": "INV-5"})
		frappe.set_user("Administrator")  # the sweep runs as the scheduler's user, not the publisher
		with queue_redis_down(), self.assertLogs(events.logger, "ERROR") as logged:
			frappe.db.commit()
		self.assertIn("the outbox sweep will retry", "\n".join(logged.output))
		self.assertEqual(len(logged.output), 1, "one line for the whole commit, not one per delivery")
		self.assertEqual(self.short.count, 0)
		(row,) = self.outbox_rows()
		self.assertEqual(events.sweep_outbox(), {"claimed": 0, "sent": 0}, "within its grace the row is left")
		waiting = events.activity(5)["outbox"]["waiting"]
		self.age_outbox_rows()
		self.assertEqual(events.activity(5)["outbox"]["waiting"], min(waiting + 1, outbox.WAITING_CAP))
		with queue_redis_down(), self.assertLogs(events.logger, "ERROR") as logged:
			self.assertEqual(events.sweep_outbox()["sent"], 0)
		self.assertIn("the next sweep will retry", "\n".join(logged.output))
		self.assertEqual(self.outbox_rows(), [row])
		frappe.get_doc("Scheduled Job Type", {"method": TICK}).execute()
		self.assertEqual(self.short.count, 2)
		self.assertEqual(self.outbox_rows(), [])
		for job in self.short.jobs:
			self.assertEqual(job.kwargs["user"], rest.PLAIN_USER, "delivered as the publisher")
		self.drain()
		received = event_handlers.received()
		self.assertEqual(sorted(r["handler"] for r in received), ["record", "record_too"])
		self.assertEqual(
			{r["key"] for r in received},
			{
				names.idempotency_key(self.event, event_id, f"{HANDLERS}.{h}")
				for h in ("record", "record_too")
			},
		)
		self.assertEqual({r["payload"]["name"] for r in received}, {"INV-5"})
		events.sweep_outbox()
		self.assertEqual(self.short.count, 0, "a swept row is not sent twice")
		counts = self.counts()
		self.assertEqual((counts["published"], counts["delivered"]), (1, 2))

	def test_a_row_another_sweep_holds_is_skipped(self):
		"""While another connection holds an outbox row (a second sweep mid-way), this sweep takes only the rest."""
		self.subscribe(f"{HANDLERS}.record")
		for n in (1, 2):
			publish(self.event, {"n": n})
		with queue_redis_down(), self.assertLogs(events.logger, "ERROR"):
			frappe.db.commit()
		self.age_outbox_rows()
		other = site_connection()
		self.addCleanup(other.close)
		rows = self.outbox_rows()
		self.assertEqual(len(rows), 2)
		(held,) = outbox.claim(other, events.OUTBOX_TABLE, rows[:1])
		self.assertEqual(events.sweep_outbox(), {"claimed": 1, "sent": 1})
		self.assertEqual(self.outbox_rows(), [held.name])
		other.rollback()
		self.assertEqual(events.sweep_outbox(), {"claimed": 1, "sent": 1})
		self.assertEqual(self.outbox_rows(), [])
		self.drain()
		self.assertEqual(sorted(r["payload"]["n"] for r in event_handlers.received()), [1, 2])

	def test_outbox_rows_are_read_only_to_everyone(self):
		"""System and Performance Managers may read a row (Queue Status links to it); plain users may not; nobody,
		Administrator included, may create, change or delete one."""
		subscriber = Subscriber(f"{HANDLERS}.record")
		name = events.store(events.Publication(self.event, "INV-6", {}, [subscriber]), "{}")
		frappe.db.commit()
		self.assertEqual(rest.resource("GET", OUTBOX, name, self.manager).status_code, 200)
		self.assertEqual(rest.resource("GET", OUTBOX, name, self.performance_manager).status_code, 200)
		self.assertEqual(rest.resource("GET", OUTBOX, name, self.plain).status_code, 403)
		for user in (self.manager, self.performance_manager):
			self.assertEqual(rest.resource("PUT", OUTBOX, name, user, event_id="x").status_code, 403)
			self.assertEqual(rest.resource("DELETE", OUTBOX, name, user).status_code, 403)
		row = frappe.get_doc(OUTBOX, name)
		row.event_id = "edited"
		for act in (
			row.save,
			lambda: frappe.delete_doc(OUTBOX, name),
			lambda: frappe.get_doc({"doctype": OUTBOX, "event": self.event}).insert(),
		):
			with self.assertRaises(frappe.PermissionError):
				act()
		frappe.db.rollback()
		self.assertEqual(frappe.db.get_value(OUTBOX, name, "event_id"), "INV-6")

	def age_outbox_rows(self) -> None:
		"""What the grace's passing looks like to the sweep: this test's rows published a grace ago."""
		frappe.db.sql(
			f"UPDATE `{events.OUTBOX_TABLE}` SET published_at = %s WHERE event = %s",
			(frappe.utils.add_to_date(None, seconds=-outbox.GRACE_S - 1), self.event),
		)
		frappe.db.commit()

	def test_event_activity_needs_a_manager_and_a_sane_window(self):
		"""Guest and plain users get 403; a window outside 1-1440 minutes gets 417."""
		for user in (None, self.plain):
			self.assertEqual(rest.call("perf_engine.api.get_event_activity", user).status_code, 403)
		self.assertEqual(
			rest.call("perf_engine.api.get_event_activity", self.manager, window_minutes=0).status_code, 417
		)
		self.assertEqual(
			rest.call("perf_engine.api.get_event_activity", self.manager, window_minutes=60).status_code, 200
		)

	def test_an_event_published_by_a_subscriber_is_delivered_after_its_job_commits(self):
		"""A handler may publish: its event goes out when the delivery job commits, as its own job."""
		follow_up = f"{self.event}.next"
		declared = {
			self.event: [f"{HANDLERS}.publish_then_record"],
			follow_up: [f"{HANDLERS}.record"],
		}
		with event_handlers.subscribed(declared):
			publish(self.event, {"next": follow_up})
			frappe.db.commit()
			self.drain()
		received = event_handlers.received()
		self.assertEqual([r["handler"] for r in received], ["publish_then_record", "record"])
		self.assertEqual((received[1]["event"], received[1]["payload"]), (follow_up, {"after": self.event}))

	def test_due_retries_move_through_the_scheduled_tick(self):
		"""The tick is a Scheduled Job Type; executing it moves a due delivery retry onto its queue."""
		job_type = frappe.get_doc("Scheduled Job Type", {"method": TICK})
		self.assertEqual(job_type.frequency, "All")
		past = datetime.now(timezone.utc) - timedelta(seconds=1)
		job_id = jobs.enqueue_method("frappe.ping", 10, {}, at=past)
		self.assertEqual(self.short.count, 0)
		# Another site's tick of this pass may hold the bench's turn; this tick must be the first.
		bridge.queue_redis().delete(job_keys.BENCH_PROMOTE)
		job_type.execute()
		self.assertEqual(self.short.job_ids, [job_id])
		self.assertTrue(bridge.queue_redis().exists(job_keys.BENCH_PROMOTE), "the tick took the bench's turn")

	def test_failures_are_read_only_history_pruned_after_retention(self):
		"""Performance Managers read a Perf Event Failure but cannot change or delete it; pruning drops old ones."""
		old = frappe.get_doc(
			{
				"doctype": "Perf Event Failure",
				"event": self.event,
				"subscriber": f"{HANDLERS}.always_fail",
				"attempts": 5,
				"failed_at": frappe.utils.add_days(frappe.utils.now_datetime(), -400),
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		pm = self.performance_manager
		self.assertEqual(rest.resource("GET", "Perf Event Failure", old.name, pm).status_code, 200)
		self.assertEqual(
			rest.resource("PUT", "Perf Event Failure", old.name, pm, attempts=1).status_code, 403
		)
		self.assertEqual(rest.resource("DELETE", "Perf Event Failure", old.name, pm).status_code, 403)
		self.assertEqual(rest.resource("GET", "Perf Event Failure", old.name, self.plain).status_code, 403)
		self.assertGreaterEqual(overview.prune_history()["Perf Event Failure"], 1)
		self.assertFalse(frappe.db.exists("Perf Event Failure", old.name))


@contextlib.contextmanager
def queue_redis_down() -> Iterator[None]:
	"""This process's queue Redis connection pointed at a closed port (as in test_redis_down_api); workers keep theirs."""
	from frappe.utils import background_jobs

	original = background_jobs._redis_queue_conn
	closed = redis.ConnectionPool(host="127.0.0.1", port=closed_port(), socket_connect_timeout=0.5)
	background_jobs._redis_queue_conn = redis.Redis(connection_pool=closed)
	try:
		yield
	finally:
		background_jobs._redis_queue_conn = original


def site_connection() -> pymysql.Connection:
	"""A second connection to the site's database, in a transaction of its own."""
	conf = frappe.conf
	return pymysql.connect(
		host=conf.db_host or "127.0.0.1",
		port=int(conf.db_port or 3306),
		user=conf.db_user or conf.db_name,
		password=conf.db_password,
		database=conf.db_name,
		autocommit=False,
	)


class TestEventBusDesk(FrappeTestCase):
	def test_queue_status_lists_events_and_failures_as_text(self):
		"""Queue Status shows an event's counts, the outbox backlog, and a failure holding HTML, as text only."""
		from frappe.utils.password import update_password

		from perf_engine.tests.test_desk_pages import PASSWORD

		rest.ensure_user(rest.MANAGER_USER, ("System Manager",))
		update_password(rest.MANAGER_USER, PASSWORD)
		frappe.db.set_single_value("System Settings", "setup_complete", 1)
		event = f"perf_engine_test.desk_{frappe.generate_hash(length=8)}"
		outcomes = [(event, counters.PUBLISHED)] * 3 + [(event, counters.DELIVERED)] * 2
		counters.count(bridge.cache_redis(), bridge.cache_prefix(), [*outcomes, (event, counters.FAILED)])
		failure = frappe.get_doc(
			{
				"doctype": "Perf Event Failure",
				"event": event,
				"subscriber": "app.events.handler",
				"attempts": 5,
				"failed_at": frappe.utils.now_datetime(),
			}
		).insert(ignore_permissions=True)
		# As an exception message could carry them, unsanitised by a document save.
		raw = {"subscriber": SUBSCRIBER_HTML, "error": ERROR_HTML}
		frappe.db.set_value("Perf Event Failure", failure.name, raw)
		waiting = events.store(
			events.Publication(event, "INV-7", {}, [Subscriber("app.events.handler")]), "{}"
		)
		frappe.db.sql(
			f"UPDATE `{events.OUTBOX_TABLE}` SET published_at = %s WHERE name = %s",
			(frappe.utils.add_to_date(None, seconds=-outbox.GRACE_S - 1), waiting),
		)
		frappe.db.commit()
		self.addCleanup(lambda: (frappe.db.delete("Perf Event Failure", failure.name), frappe.db.commit()))
		self.addCleanup(lambda: (frappe.db.delete(OUTBOX, waiting), frappe.db.commit()))
		rows = "document.querySelector('.event-activity')?.innerText || ''"
		with browser.web_server() as base:
			sid = browser.login(base, rest.MANAGER_USER, PASSWORD)
			with browser.chromium(base, sid) as tab:
				tab.open(base + "/app/queue-status", f"({rows}).includes({frappe.as_json(event)})")
				tab.screenshot(browser.artifacts_dir() / "queue-status-events.png")
				line = tab.evaluate(
					"Array.from(document.querySelectorAll('.event-activity tr'))"
					f".map(r => r.innerText).find(t => t.includes({frappe.as_json(event)}))"
				)
				self.assertEqual(line.split("\t")[1:], ["3", "2", "0", "1"])
				waiting_line = tab.evaluate("document.querySelector('.event-outbox').innerText")
				self.assertIn("not enqueued yet", waiting_line)
				failures = tab.evaluate("document.querySelector('.event-failures').innerText")
				self.assertIn(SUBSCRIBER_HTML, failures)
				self.assertIn(ERROR_HTML, failures)
				for element in ("pe-injected-subscriber", "pe-injected-error"):
					self.assertFalse(tab.evaluate(f"!!document.getElementById('{element}')"), element)
