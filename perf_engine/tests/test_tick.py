"""perf_engine's background work is one "All" job a tick: Frappe's scheduler enqueues it, a real worker
runs it, and it checks stalls, takes the snapshot, sweeps the outbox and runs the threshold and Redis
memory checks when each is due, without a Scheduled Job Log row, noting its run in perf_engine's own
ledger; right after, nothing of perf_engine's is due."""

import time
import uuid
from datetime import datetime

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_to_date
from frappe.utils.background_jobs import get_queue
from frappe.utils.scheduler import enqueue_events

from perf_engine.core.events.subscribers import Subscriber
from perf_engine.core.footprint import ledger
from perf_engine.services import bridge, events, jobs, overview, redis_memory, thresholds
from perf_engine.services.settings import DOCTYPE as SETTINGS
from perf_engine.tests import rest
from perf_engine.tests.test_platform_health_api import scheduler_enabled

TICK = "perf_engine.tasks.tick.run_due"
HANDLER = "perf_engine.tests.event_handlers.record"
LONG_AGO = datetime(2020, 1, 1)
OUTBOX = "Perf Event Outbox"
RETIRED_MINUTE_JOBS = (
	"perf_engine.tasks.jobs.check_stalls_when_due",
	"perf_engine.tasks.history.snapshot_when_due",
	"perf_engine.tasks.jobs.promote_due_jobs",
	"perf_engine.tasks.events.sweep_outbox",
	"perf_engine.tasks.thresholds.check_thresholds",
	"perf_engine.tasks.redis_memory.cleanup_when_pressured",
)


def aged_outbox_row() -> str:
	"""A publication whose deliveries were never enqueued, past the sweep's grace."""
	publication = events.Publication(
		f"perf_engine_test.tick_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex, {}, [Subscriber(HANDLER)]
	)
	name = events.store(publication, "{}")
	frappe.db.sql(
		f"UPDATE `{events.OUTBOX_TABLE}` SET published_at = %s WHERE name = %s",
		(add_to_date(None, minutes=-10), name),
	)
	frappe.db.commit()
	return publication.event


class TestTick(FrappeTestCase):
	def test_the_tick_is_one_all_job_type_without_a_log_and_the_minute_jobs_are_gone(self):
		"""One "All" Scheduled Job Type (Frappe writes no log for it); none of the four minute jobs is left."""
		tick = frappe.get_doc("Scheduled Job Type", {"method": TICK})
		self.assertEqual((tick.frequency, tick.create_log, tick.stopped), ("All", 0, 0))
		for method in RETIRED_MINUTE_JOBS:
			self.assertFalse(frappe.db.exists("Scheduled Job Type", {"method": method}), method)
		minute_jobs = frappe.get_all(
			"Scheduled Job Type", filters={"method": ("like", "perf_engine.%"), "cron_format": "* * * * *"}
		)
		self.assertEqual(minute_jobs, [])

	def test_the_scheduler_runs_the_tick_which_does_what_is_due_and_logs_no_row(self):
		"""Enqueued by Frappe's scheduler, run by a real worker: the stall check runs, a snapshot is taken and
		the aged outbox row is delivered; no Scheduled Job Log row; at once after, the tick is not due."""
		tick = frappe.get_doc("Scheduled Job Type", {"method": TICK})
		short = get_queue("short")
		short.empty()
		self.addCleanup(short.empty)
		logs = {"scheduled_job_type": tick.name}
		logged, snapshots = (
			frappe.db.count("Scheduled Job Log", logs),
			frappe.get_all("Perf Snapshot", pluck="name"),
		)
		for key in (
			jobs.LAST_RUN_KEY,
			overview.LAST_SNAPSHOT_KEY,
			thresholds.LAST_CHECK_KEY,
			redis_memory.LAST_CHECK_KEY,
		):
			frappe.cache.delete_value(key)
		frappe.db.set_single_value(SETTINGS, "last_threshold_check_at", LONG_AGO)
		frappe.db.commit()
		ticks = self.ticks_noted()
		event = aged_outbox_row()
		with scheduler_enabled(1):
			frappe.db.set_value(
				"Scheduled Job Type", tick.name, "last_execution", add_to_date(None, hours=-1)
			)
			frappe.db.commit()
			self.assertIn(TICK, enqueue_events(frappe.local.site) or [])
			rest.run_burst_worker("default")
			frappe.db.commit()  # a fresh snapshot of what the worker committed
			self.assertNotIn(
				TICK, enqueue_events(frappe.local.site) or [], "the tick is not due again at once"
			)
		for key in (jobs.LAST_RUN_KEY, thresholds.LAST_CHECK_KEY, redis_memory.LAST_CHECK_KEY):
			self.assertGreater(float(frappe.cache.get_value(key) or 0), time.time() - 300, key)
		self.assertGreater(frappe.db.get_single_value(SETTINGS, "last_threshold_check_at"), LONG_AGO)
		noted = self.ticks_noted()
		self.assertEqual(noted["runs"] - ticks["runs"], 1, "the tick noted its run")
		self.assertGreater(noted["seconds"], ticks["seconds"], "and its worker time")
		taken = set(frappe.get_all("Perf Snapshot", pluck="name")) - set(snapshots)
		self.assertEqual(len(taken), 1, "one snapshot taken")
		self.addCleanup(frappe.delete_doc, "Perf Snapshot", taken.pop(), force=True, ignore_permissions=True)
		self.assertFalse(frappe.get_all(OUTBOX, filters={"event": event}), "the outbox row was swept")
		delivered = [job.kwargs["kwargs"] for job in short.jobs if job.kwargs["kwargs"].get("event") == event]
		self.assertEqual([kwargs["handler"] for kwargs in delivered], [HANDLER])
		self.assertEqual(frappe.db.count("Scheduled Job Log", logs), logged, "no log row for the tick")

	@staticmethod
	def ticks_noted() -> dict:
		"""The tick's runs and worker seconds in this site's ledger over the last day."""
		found = ledger.read_jobs(bridge.cache_redis(), bridge.cache_prefix(), time.time())
		return found.get("tick", {"runs": 0, "seconds": 0.0})
