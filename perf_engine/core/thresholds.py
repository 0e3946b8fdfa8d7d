"""Performance thresholds: the defaults, checking one value, and evaluating measurements.

Measures: p95/p99 of request durations and job durations from Frappe's monitor, and the
resident memory of web and worker processes, each compared with its threshold.
"""

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from perf_engine.core.errors import InvalidInput
from perf_engine.core.monitor import MonitorWindow

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
		("request_memory", 256, "MB"),
		("background_job_memory", 512, "MB"),
	)
)


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
	if not values:
		raise InvalidInput("A percentile needs at least one value")
	rank = max(1, math.ceil(pct / 100 * len(values)))
	return heapq.nlargest(len(values) - rank + 1, values)[-1]


def measurements(window: MonitorWindow, memory_mb: Mapping[str, float | None]) -> dict[str, dict]:
	"""What was measured per operation type, in seconds or MB, with the sample size behind it."""
	requests, jobs = window.kind("request"), window.kind("job")
	found: dict[str, dict] = {}
	if requests:
		found["api_response_p95"] = {
			"seconds": percentile(requests.durations, 95),
			"samples": requests.samples,
		}
		found["api_response_p99"] = {
			"seconds": percentile(requests.durations, 99),
			"samples": requests.samples,
		}
	if jobs:
		found["job_completion"] = {"seconds": percentile(jobs.durations, 95), "samples": jobs.samples}
	for operation_type, megabytes in memory_mb.items():
		if megabytes is not None:
			found[operation_type] = {"megabytes": megabytes, "samples": 1}
	return found


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
		checks.append({**result, "samples": measured[name]["samples"]})
	return {"checks": checks, "violations": [c for c in checks if c["violation"]], "unmeasured": unmeasured}
