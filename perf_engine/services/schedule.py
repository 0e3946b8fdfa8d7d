"""Minute ticks that act at a configured interval: the stalled-job check and the snapshots."""

import time

import frappe

# A tick that lands a little early still counts, so a 5-minute interval never slips to 6.
EARLY_TICK_S = 1


def due(key: str, interval_s: float) -> bool:
	"""True once `interval_s` has passed since the last run noted under `key`, noting this one."""
	last = float(frappe.cache.get_value(key) or 0)
	if time.time() - last < interval_s - EARLY_TICK_S:
		return False
	frappe.cache.set_value(key, time.time())
	return True
