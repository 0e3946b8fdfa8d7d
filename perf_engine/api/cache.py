"""Cache methods: warm the configured entries now."""

import frappe

from perf_engine.services import bridge, warm


@frappe.whitelist(methods=["POST"])
@bridge.core_errors()
def warm_caches() -> dict:
	"""Warm the configured entries now, as the hourly job does."""
	bridge.require_manager()
	return warm.warm_caches(on_progress=bridge.progress(frappe._("Warming caches")))
