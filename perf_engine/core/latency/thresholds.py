"""Performance thresholds: the defaults, where each is measured, checking one value, evaluating.

Measures, each compared with its threshold (SOURCES says where every one comes from): p95/p99
of request durations, p95 of list views, forms, reports and jobs from Frappe's monitor; query
classes from `query_classes`; the longest job run from `job_timeouts`; and the resident memory
of web and worker processes.
"""

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pymysql

from perf_engine.core.errors import InvalidInput
from perf_engine.core.latency.monitor import MonitorWindow
from perf_engine.core.latency.percentiles import nearest_rank
from perf_engine.core.latency.work_kinds import FORM, JOB, LIST_VIEW, REPORT, REQUEST

WARNING = "WARNING"
CRITICAL = "CRITICAL"
CRITICAL_FACTOR = 2
UNITS = ("ms", "s", "MB")
SECONDS_TO = {"ms": 1000, "s": 1}


@dataclass(frozen=True)
class Threshold:
	"""One operation type's limit."""

	operation_type: str
	value: float
	unit: str
	enabled: bool = True


DEFAULT_THRESHOLDS = tuple(
	Threshold(name, value, unit)
	for name, value, unit in (
		("api_response_p95", 500, "ms"),
		("api_response_p99", 1000, "ms"),
		("list_view_load", 2000, "ms"),
		("form_load", 1500, "ms"),
		("report_generation", 30000, "ms"),
		("single_query", 100, "ms"),
		("batch_query", 500, "ms"),
		("count_query", 50, "ms"),
		("job_completion", 300, "s"),
		("job_timeout", 3600, "s"),
		("job_queue_wait", 30, "s"),
		("request_memory", 256, "MB"),
		("background_job_memory", 512, "MB"),
	)
)


MONITOR = "Frappe's monitor"
MONITOR_SWITCH = "set `monitor: 1` in the site's site_config.json (bench --site SITE set-config monitor 1)"
JOB_SOURCE = "Frappe's monitor and RQ's failed registries"
QUEUE_WAIT_SOURCE = "RQ's job data (perf_engine's job statistics)"
MEMORY_SOURCE = "process memory"
SOURCES = {
	"api_response_p95": f"{MONITOR}: p95 of every request of the site in the last 15 minutes.",
	"api_response_p99": f"{MONITOR}: p99 of every request of the site in the last 15 minutes.",
	"list_view_load": f"{MONITOR}: p95 of list-view requests (frappe.desk.reportview.get, get_count, "
	"get_list and frappe.client.get_list, get_count) in the last 15 minutes.",
	"form_load": f"{MONITOR}: p95 of form loads (frappe.desk.form.load.getdoc) in the last 15 minutes.",
	"report_generation": f"{MONITOR}: p95 of report runs (frappe.desk.query_report.run requests and "
	"prepared-report jobs) in the last 15 minutes.",
	"single_query": "performance_schema statement digests of the site's database (slowest average per "
	"call of statements reading or changing at most one row), else the slow query log (p95 of the "
	"window's logged executions), last 15 minutes.",
	"batch_query": "As single_query, for statements reading or changing more than one row per call.",
	"count_query": "As single_query, for SELECT COUNT(...) statements.",
	"job_completion": f"{MONITOR}: p95 of the site's job durations in the last 15 minutes.",
	"job_timeout": "Longest run of the site's jobs in the last 15 minutes: monitor job durations and "
	"jobs RQ failed with JobTimeoutException (newest 200 per queue's failed registry); jobs that hit or "
	"came within 10 % of their own timeout are named in the check.",
	"job_queue_wait": "RQ's own job data, sampled every minute by perf_engine: p95 of the queue wait "
	"(enqueued to started) of the site's jobs that ended in the last 15 minutes, exact to a bucket (never "
	"below the true value, at most 19 % above).",
	"request_memory": "Largest resident memory (RSS) of the bench's gunicorn workers.",
	"background_job_memory": "Largest resident memory (RSS) of the bench's RQ worker processes.",
}
MONITOR_FED = (
	"api_response_p95",
	"api_response_p99",
	"list_view_load",
	"form_load",
	"report_generation",
	"job_completion",
)
WORK_THRESHOLDS = {"list_view_load": LIST_VIEW, "form_load": FORM, "report_generation": REPORT}
# The threshold each SLA kind's percentile is held to (a request's is every request's, as measured).
SLA_THRESHOLDS = {
	(LIST_VIEW, 95): "list_view_load",
	(FORM, 95): "form_load",
	(REPORT, 95): "report_generation",
	(JOB, 95): "job_completion",
	(REQUEST, 95): "api_response_p95",
	(REQUEST, 99): "api_response_p99",
}
STORED_SQL = "SELECT operation_type, value, unit, enabled FROM `tabPerformance Threshold`"


def read_stored(conn: pymysql.Connection) -> dict[str, Threshold]:
	"""A site's Performance Thresholds by SQL (a dozen rows), keyed by operation type."""
	with conn.cursor() as cur:
		cur.execute(STORED_SQL)
		rows = cur.fetchall()
	return {name: Threshold(name, float(value), unit, bool(enabled)) for name, value, unit, enabled in rows}


def sla_limits_s(thresholds: Mapping[str, Threshold]) -> dict[tuple[str, int], tuple[str, float]]:
	"""(kind, percentile) -> (operation type, limit in seconds) for every enabled threshold in time units."""
	limits = {}
	for key, name in SLA_THRESHOLDS.items():
		threshold = thresholds.get(name)
		if threshold and threshold.enabled and threshold.unit in SECONDS_TO:
			limits[key] = (name, threshold.value / SECONDS_TO[threshold.unit])
	return limits


def check(thresholds: Mapping[str, Threshold], operation_type: str, actual: float) -> dict:
	"""Violation, threshold, actual and severity; unknown types are an error, disabled ones say so."""
	threshold = thresholds.get(operation_type)
	if threshold is None:
		known = ", ".join(sorted(thresholds)) or "none"
		raise InvalidInput(f"Unknown operation type {operation_type!r}. Known types: {known}")
	if not isinstance(actual, int | float) or isinstance(actual, bool) or not math.isfinite(actual):
		raise InvalidInput(f"The measured value must be a number, got {actual!r}")
	result = {
		"operation_type": operation_type,
		"threshold": threshold.value,
		"actual": actual,
		"unit": threshold.unit,
		"enabled": threshold.enabled,
		"violation": False,
		"severity": None,
	}
	if not threshold.enabled:
		return {**result, "message": f"The {operation_type} threshold is disabled: nothing was checked"}
	if actual > threshold.value * CRITICAL_FACTOR:
		result.update(violation=True, severity=CRITICAL)
	elif actual > threshold.value:
		result.update(violation=True, severity=WARNING)
	verdict = f"{result['severity']}: above" if result["violation"] else "within"
	return {
		**result,
		"message": f"{operation_type} {actual:g} {threshold.unit} is {verdict} {threshold.value:g} {threshold.unit}",
	}


def percentile(values: Sequence[float], pct: float) -> float:
	"""Nearest-rank percentile: the smallest value with at least pct % of values at or below it.

	Only the values from that rank up are held (5 % of a million for p95), not a sorted copy.
	"""
	rank = nearest_rank(pct, len(values))
	return heapq.nlargest(len(values) - rank + 1, values)[-1]


def measurements(
	window: MonitorWindow,
	memory_mb: Mapping[str, float | None],
	queries: Mapping[str, dict] | None = None,
	longest_job_s: float | None = None,
	job_samples: int = 0,
	queue_wait: tuple[float, int] | None = None,
) -> dict[str, dict]:
	"""What was measured per operation type, in seconds or MB, with the sample size behind it."""
	requests, jobs = window.kind("request"), window.kind("job")
	found: dict[str, dict] = {}
	if requests:
		found["api_response_p95"] = monitored(percentile(requests.durations, 95), requests.samples)
		found["api_response_p99"] = monitored(percentile(requests.durations, 99), requests.samples)
	if jobs:
		found["job_completion"] = monitored(percentile(jobs.durations, 95), jobs.samples)
	for operation_type, work in WORK_THRESHOLDS.items():
		if durations := window.work.get(work):
			found[operation_type] = monitored(percentile(durations, 95), len(durations))
	found.update(queries or {})
	if longest_job_s is not None:
		found["job_timeout"] = {"seconds": longest_job_s, "samples": job_samples, "source": JOB_SOURCE}
	if queue_wait is not None:
		found["job_queue_wait"] = {
			"seconds": queue_wait[0],
			"samples": queue_wait[1],
			"source": QUEUE_WAIT_SOURCE,
		}
	for operation_type, megabytes in memory_mb.items():
		if megabytes is not None:
			found[operation_type] = {"megabytes": megabytes, "samples": 1, "source": MEMORY_SOURCE}
	return found


def monitored(seconds: float, samples: int) -> dict:
	return {"seconds": seconds, "samples": samples, "source": MONITOR}


def in_unit(measurement: dict, unit: str) -> float:
	"""Express a measurement in the threshold's unit."""
	if unit == "MB":
		return measurement["megabytes"]
	return measurement["seconds"] * SECONDS_TO[unit]


def evaluate(thresholds: Mapping[str, Threshold], measured: Mapping[str, dict]) -> dict:
	"""Check every enabled threshold that has a measurement; list the ones that had none."""
	checks, unmeasured = [], []
	for name, threshold in sorted(thresholds.items()):
		if not threshold.enabled:
			continue
		if name not in measured:
			unmeasured.append(name)
			continue
		result = check(thresholds, name, round(in_unit(measured[name], threshold.unit), 3))
		extra = {k: v for k, v in measured[name].items() if k not in ("seconds", "megabytes")}
		checks.append({**result, **extra})
	return {"checks": checks, "violations": [c for c in checks if c["violation"]], "unmeasured": unmeasured}


def why_unmeasured(operation_type: str, monitor_on: bool, query_hint: str | None) -> str:
	"""Why a threshold had no measurement, naming the switch that turns its source on."""
	if operation_type in MONITOR_FED or operation_type == "job_timeout":
		if not monitor_on:
			return f"{MONITOR} is off: {MONITOR_SWITCH}."
		return "No such work of this site in the last 15 minutes."
	if operation_type in ("single_query", "batch_query", "count_query"):
		if query_hint:
			return f"To measure it, {query_hint}."
		return "No such statement on this site's database in the last 15 minutes."
	if operation_type == "job_queue_wait":
		return (
			"No job of this site ended in the last 15 minutes, or perf_engine's minute sampling did not run "
			"(it rides the scheduler's minute tick: bench --site SITE enable-scheduler)."
		)
	if operation_type == "request_memory":
		return "No gunicorn worker of frappe.app runs on this host."
	if operation_type == "background_job_memory":
		return "No RQ worker runs on this host."
	return "No source measures it."
