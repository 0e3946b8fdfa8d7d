"""This site's figures and health (judged in `perf_engine.core.health`), snapshots for charts, retention.

Reads only cheap sources: pipelined Redis counts, one INFO, and small queries on
perf_engine's own records, on the site's own connections.
"""

from datetime import timedelta

import frappe
from frappe.utils import now_datetime

from perf_engine.core import figures as core_figures
from perf_engine.core.settings import MINUTE_S
from perf_engine.services import bridge, jobs, schedule, settings

HISTORY_DOCTYPES = {
	"Perf Snapshot": "taken_at",
	"Threshold Violation": "measured_at",
	"Redis Cleanup Log": "creation",
}
LAST_SNAPSHOT_KEY = "perf_engine:last_snapshot"


def figures() -> dict:
	"""Queues, Redis, history counts and health for this site; a part that fails is None."""
	return core_figures.collect(
		queue=bridge.queue_redis(),
		queue_names=jobs.bench_queues(),
		cache=bridge.cache_redis(),
		settings=settings.get(),
		now=now_datetime(),
		db=bridge.db_connection(),
	)


def totals() -> dict:
	"""The headline numbers for the workspace's number cards."""
	return core_figures.totals(figures())


def health() -> dict:
	"""Every subsystem as ok, warning, critical or unknown, with the reason and the next action."""
	return {**figures()["health"], "checked_at": now_datetime()}


def snapshot_when_due() -> None:
	"""Ticks every minute; samples once `snapshot_minutes` have passed."""
	if schedule.due(LAST_SNAPSHOT_KEY, settings.get().snapshot_minutes * MINUTE_S):
		take_snapshot()


def take_snapshot() -> str:
	"""Store one Perf Snapshot from the current figures (missing parts stay empty)."""
	totals = core_figures.totals(figures())
	snapshot = frappe.get_doc({"doctype": "Perf Snapshot", "taken_at": now_datetime(), **totals})
	return snapshot.insert(ignore_permissions=True).name


def prune_history() -> dict:
	"""Delete history older than the retention period, oldest first, in bounded batches."""
	days = settings.get().history_retention_days
	cutoff = now_datetime() - timedelta(days=days)
	deleted = {}
	for doctype, field in HISTORY_DOCTYPES.items():
		names = frappe.get_all(doctype, filters={field: ("<", cutoff)}, pluck="name", limit=10_000)
		if names:
			frappe.db.delete(doctype, {"name": ("in", names)})
		deleted[doctype] = len(names)
	frappe.db.delete("Stalled Job", {"status": "Resolved", "last_seen": ("<", cutoff)})
	return deleted
