"""Scheduled history: a snapshot every `snapshot_minutes` and daily pruning past retention."""

import time

import frappe

from perf_engine.services import overview, settings


def snapshot_when_due() -> None:
	"""Ticks every minute; samples once `snapshot_minutes` (default 5) have passed."""
	interval_s = settings.get().snapshot_minutes * 60
	last = float(frappe.cache.get_value(overview.LAST_SNAPSHOT_KEY) or 0)
	if time.time() - last < interval_s - 1:
		return
	frappe.cache.set_value(overview.LAST_SNAPSHOT_KEY, time.time())
	overview.take_snapshot()


def prune_history() -> None:
	overview.prune_history()
