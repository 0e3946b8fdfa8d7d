"""The threshold check for this site: recent measurements against every enabled threshold."""

from datetime import timedelta

import frappe
from frappe.utils import get_bench_path, now_datetime

from perf_engine.core import monitor, process_memory, thresholds
from perf_engine.perf_engine.doctype.performance_threshold.performance_threshold import load_thresholds
from perf_engine.perf_engine.doctype.threshold_violation import threshold_violation
from perf_engine.services import bridge, settings

CHECK_WINDOW = timedelta(minutes=15)
SOURCE = "Frappe monitor and process memory"


def check_thresholds() -> dict:
	"""Evaluate the last window, keep violations as history, and record what had no data."""
	window = monitor.read_window(
		bridge.cache_redis(),
		bridge.cache_prefix(),
		monitor.log_path(get_bench_path()),
		frappe.local.site,
		CHECK_WINDOW,
	)
	measured = thresholds.measurements(window, process_memory.bench_memory())
	report = thresholds.evaluate(load_thresholds(), measured)
	checked_at = now_datetime()
	threshold_violation.record(report["violations"], checked_at, SOURCE)
	settings.record(
		{
			"last_threshold_check_at": checked_at,
			"last_threshold_check": summary(report, frappe.conf.get("monitor")),
			"last_threshold_unmeasured": len(report["unmeasured"]),
		},
	)
	return report


def summary(report: dict, monitor_enabled: bool) -> str:
	"""One readable line: violations, checks, and what could not be measured and why."""
	parts = [f"{len(report['violations'])} violation(s) in {len(report['checks'])} check(s)."]
	if report["unmeasured"]:
		parts.append(f"No measurements for: {', '.join(report['unmeasured'])}.")
		if not monitor_enabled:
			parts.append(
				"Frappe's monitor is off: set `monitor: 1` in site_config.json to measure requests and jobs."
			)
	return " ".join(parts)
