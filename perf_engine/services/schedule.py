"""Parts of the tick that act at a configured interval: the stalled-job check and the snapshots."""

import time

import frappe

DEFAULT_TICK_S = 240  # Frappe's `scheduler_interval` when the bench sets none


def tick_s() -> float:
	"""How often Frappe's "All" tick, which runs perf_engine's checks, comes."""
	return float(frappe.get_conf().get("scheduler_interval") or DEFAULT_TICK_S)


def due(key: str, interval_s: float) -> bool:
	"""True once `interval_s` has passed since the last run noted under `key` (within half a tick: the
	tick that comes nearest the interval runs it), noting this one."""
	return elapsed_when_due(key, interval_s) is not None


def elapsed_when_due(key: str, interval_s: float) -> float | None:
	"""The seconds since the last run noted under `key` once it is due (as `due` decides), noting this
	one; None while it is not due."""
	now = time.time()
	elapsed = now - float(frappe.cache.get_value(key) or 0)
	if elapsed < interval_s - tick_s() / 2:
		return None
	frappe.cache.set_value(key, now)
	return elapsed
