"""Scheduled stalled-job check, run every `stall_check_minutes` (5 minutes by default)."""

import time

import frappe

from perf_engine.services import jobs, settings

LAST_RUN_KEY = "perf_engine:last_stall_check"


def check_stalls_when_due() -> None:
	"""Ticks every minute; runs the check once `stall_check_minutes` have passed since the last run."""
	interval_s = settings.get().stall_check_minutes * 60
	last = float(frappe.cache.get_value(LAST_RUN_KEY) or 0)
	if time.time() - last < interval_s - 1:
		return
	frappe.cache.set_value(LAST_RUN_KEY, time.time())
	jobs.check_stalls()
