"""This site's figures and health (judged in `perf_engine.core.health.rules`), snapshots for charts, retention.

Reads only cheap sources: pipelined Redis counts, one INFO, and small queries on
perf_engine's own records, on the site's own connections.
"""

from datetime import datetime, timedelta

import frappe
from croniter import croniter
from frappe.utils import get_bench_id, now_datetime

from perf_engine.core.checks import run_check
from perf_engine.core.health import figures as core_figures
from perf_engine.core.health import identity as scrape_identity
from perf_engine.core.health import scheduler as scheduler_health
from perf_engine.core.jobstats.report import METRIC_METHODS
from perf_engine.core.settings import MINUTE_S
from perf_engine.services import bridge, jobs, jobstats, schedule, settings, sla

HISTORY_DOCTYPES = {
	"Perf Snapshot": "taken_at",
	"Threshold Violation": "measured_at",
	"Redis Cleanup Log": "creation",
	"Perf Event Failure": "failed_at",
	"Deadlock": "detected_on",
	"Query Kill Log": "killed_at",
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
		site_conf=frappe.conf,
		next_of=next_run,
	)


def next_run(job: dict) -> datetime | None:
	"""A job type's next run as Frappe's scheduler computes it, custom cron expressions included."""
	if job["frequency"] == "Cron" and job["cron_format"]:
		return croniter(job["cron_format"], job["last_execution"] or job["creation"]).get_next(datetime)
	interval = frappe.conf.scheduler_interval or scheduler_health.DEFAULT_SCHEDULER_INTERVAL_S
	return scheduler_health.next_run(job, int(interval))


def metric_figures() -> dict:
	"""What the metrics endpoint serves: the figures, the SLA view and the last hour's job statistics
	(each None when it failed)."""
	found = figures()
	for part in (
		run_check("sla", sla.get_sla),
		run_check("job_stats", lambda: jobstats.get_job_stats(top=METRIC_METHODS)),
	):
		found[part.name] = part.data if part.ok else None
		if not part.ok:
			found["errors"][part.name] = part.error
	return found


def identity() -> scrape_identity.Identity:
	"""The bench and site every metric of this site carries (the same bench for all its sites)."""
	return scrape_identity.of(frappe.conf, get_bench_id(), frappe.local.site)


def totals() -> dict:
	"""The headline numbers for the workspace's number cards."""
	return core_figures.totals(figures())


def health() -> dict:
	"""Every subsystem as ok, warning, critical or unknown, with the reason and the next action."""
	return {**figures()["health"], "checked_at": now_datetime()}


def snapshot_when_due() -> None:
	"""A part of the tick: samples job statistics (bench-wide: a sample counts every job that ended since
	the previous one, by the minute it ended), and takes a snapshot once `snapshot_minutes` have passed."""
	run_check("job_stats", jobstats.sample_job_stats)
	if schedule.due(LAST_SNAPSHOT_KEY, settings.get().snapshot_minutes * MINUTE_S):
		take_snapshot()


def take_snapshot() -> str:
	"""Store one Perf Snapshot from the current figures, the interval's request percentiles and its job
	statistics (missing parts stay empty)."""
	totals = core_figures.totals(figures())
	interval = run_check("sla", sla.interval_fields)
	job_stats = run_check("job_stats", jobstats.interval_fields)
	snapshot = frappe.get_doc(
		{
			"doctype": "Perf Snapshot",
			"taken_at": now_datetime(),
			**totals,
			**(interval.data if interval.ok else {}),
			**(job_stats.data if job_stats.ok else {}),
		}
	)
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
