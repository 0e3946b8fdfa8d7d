"""This site's figures and health (judged in `perf_engine.core.health`), snapshots for charts, retention.

Reads only cheap sources: pipelined Redis counts, one INFO, and small queries on
perf_engine's own records, on the site's own connections.
"""

from datetime import timedelta

import frappe
from frappe.utils import now_datetime

from perf_engine.core import figures as core_figures
from perf_engine.core.settings import MINUTE_S
from perf_engine.core.site_counts import site_counts
from perf_engine.services import bridge, jobs, schedule, settings

HISTORY_DOCTYPES = {
	"Perf Snapshot": "taken_at",
	"Threshold Violation": "measured_at",
	"Redis Cleanup Log": "creation",
}
LAST_SNAPSHOT_KEY = "perf_engine:last_snapshot"
MB = 1024 * 1024


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


def counts() -> dict:
	"""This site's history counts alone, for the number cards."""
	return site_counts(bridge.db_connection(), now_datetime())


def health() -> dict:
	"""Every subsystem as ok, warning, critical or unknown, with the reason and the next action."""
	return {**figures()["health"], "checked_at": now_datetime()}


def snapshot_when_due() -> None:
	"""Ticks every minute; samples once `snapshot_minutes` have passed."""
	if schedule.due(LAST_SNAPSHOT_KEY, settings.get().snapshot_minutes * MINUTE_S):
		take_snapshot()


def take_snapshot() -> str:
	"""Store one Perf Snapshot from the current figures (missing parts stay empty)."""
	found = figures()
	rows, redis, counts = found["queues"] or [], found["redis"], found["counts"] or {}
	return (
		frappe.get_doc(
			{
				"doctype": "Perf Snapshot",
				"taken_at": now_datetime(),
				"queued_jobs": sum(r["queued"] for r in rows),
				"busy_workers": sum(r["workers"]["busy"] for r in rows),
				"live_workers": sum(r["workers"]["total"] for r in rows),
				"open_stalls": counts.get("open_stalls"),
				"redis_used_mb": redis["used_memory"] / MB if redis else None,
				"redis_used_percent": redis["pressure"] * 100
				if redis and redis["pressure"] is not None
				else None,
				"violations_24h": sum((counts.get("violations_24h") or {}).values()),
				"open_high_indexes": (counts.get("open_index_findings") or {}).get("HIGH", 0),
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


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
