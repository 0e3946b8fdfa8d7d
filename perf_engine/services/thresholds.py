"""The threshold check for this site: recent measurements against every enabled threshold.

Sources (see `perf_engine.core.latency.thresholds.SOURCES`): this site's monitor entries, its
database's statements in performance_schema or the slow query log, the bench's RQ failed
registries for this site's jobs, job statistics for its jobs' queue wait, and process memory.
"""

from datetime import datetime, timedelta

import frappe
from frappe.utils import get_bench_path, now_datetime

from perf_engine.core.checks import run_check
from perf_engine.core.latency import job_timeouts, monitor, process_memory, query_classes, thresholds
from perf_engine.perf_engine.doctype.performance_threshold.performance_threshold import load_thresholds
from perf_engine.perf_engine.doctype.threshold_violation import threshold_violation
from perf_engine.services import bridge, jobs, jobstats, schedule, settings

CHECK_WINDOW = timedelta(minutes=15)
LAST_CHECK_KEY = "perf_engine:last_threshold_check"
SOURCE = "Frappe monitor, MariaDB statements, RQ failed jobs, RQ job data and process memory"
QUERY_TYPES = tuple(query_classes.CLASSES)


def read_window(window: timedelta = CHECK_WINDOW, until: datetime | None = None) -> monitor.MonitorWindow:
	"""This site's monitor entries of the last `window`, from Redis and the bench's log; with `until`
	(UTC), the `window` before it."""
	return monitor.read_window(
		bridge.cache_redis(),
		bridge.cache_prefix(),
		monitor.log_path(get_bench_path()),
		frappe.local.site,
		window,
		now=until,
		until=until,
	)


def query_measurements(limits: dict, since) -> query_classes.QueryClasses:
	"""Query classes of this site's database, from the first workload source that is on."""
	limits_s = {
		name: limit.value / thresholds.SECONDS_TO[limit.unit]
		for name, limit in limits.items()
		if name in QUERY_TYPES and limit.unit in thresholds.SECONDS_TO
	}
	return query_classes.measure(bridge.db_connection(), frappe.conf.db_name, since, limits_s)


def check_when_due() -> None:
	"""A part of the tick: the check every 15 minutes, over the time since the last one (15 to 30 minutes),
	so consecutive checks leave no gap between their windows."""
	elapsed = schedule.elapsed_when_due(LAST_CHECK_KEY, CHECK_WINDOW.total_seconds())
	if elapsed is not None:
		check_thresholds(min(max(timedelta(seconds=elapsed), CHECK_WINDOW), 2 * CHECK_WINDOW))


def check_thresholds(window_length: timedelta = CHECK_WINDOW) -> dict:
	"""Evaluate the last window, keep violations as history, and record what had no data and why."""
	window = read_window(window_length)
	limits = load_thresholds()
	queries = run_check("queries", lambda: query_measurements(limits, window.since))
	timeouts = run_check(
		"job_timeouts",
		lambda: job_timeouts.measure(
			bridge.queue_redis(),
			jobs.bench_queues().values(),
			frappe.local.site,
			window.since,
			window.longest_jobs,
			window.kind("job").samples if window.kind("job") else 0,
		),
	)
	queue_wait = run_check("job_queue_wait", lambda: {"measured": jobstats.queue_wait()})
	query_data = queries.data if queries.ok else query_classes.QueryClasses()
	timeout_data = timeouts.data if timeouts.ok else job_timeouts.JobTimeouts()
	measured = thresholds.measurements(
		window,
		process_memory.bench_memory(),
		{name: {**m, "source": query_data.source} for name, m in query_data.measured.items()},
		timeout_data.longest_s,
		timeout_data.samples,
		queue_wait.data["measured"] if queue_wait.ok else None,
	)
	if "job_timeout" in measured:
		measured["job_timeout"].update(
			timed_out=timeout_data.timed_out, near_timeout=timeout_data.near_timeout
		)
	report = thresholds.evaluate(limits, measured)
	monitor_on = bool(frappe.conf.get("monitor"))
	report["reasons"] = {
		name: thresholds.why_unmeasured(name, monitor_on, query_data.hint) for name in report["unmeasured"]
	}
	report["errors"] = {part.name: part.error for part in (queries, timeouts, queue_wait) if not part.ok}
	checked_at = now_datetime()
	threshold_violation.record(report["violations"], checked_at, SOURCE)
	settings.record(
		{
			"last_threshold_check_at": checked_at,
			"last_threshold_check": summary(report),
			"last_threshold_unmeasured": len(report["unmeasured"]),
		},
	)
	return report


def summary(report: dict) -> str:
	"""One readable line: violations, checks, and what could not be measured and why."""
	parts = [f"{len(report['violations'])} violation(s) in {len(report['checks'])} check(s)."]
	if report["unmeasured"]:
		parts.append(f"No measurements for: {', '.join(report['unmeasured'])}.")
		parts += sorted(set(report["reasons"].values()))
	for name, error in report.get("errors", {}).items():
		parts.append(f"{name} could not be read: {error}.")
	return " ".join(parts)
