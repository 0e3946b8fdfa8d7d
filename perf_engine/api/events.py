"""Event bus methods: what was published and delivered in the last window, and the latest failures."""

import frappe

from perf_engine.services import bridge, events


@frappe.whitelist()
@bridge.core_errors()
def get_event_activity(window_minutes: int = events.DEFAULT_WINDOW_MINUTES) -> dict:
	"""Per event: published, delivered, retried and failed in the window; the latest delivery failures."""
	bridge.require_manager()
	return events.activity(window_minutes)
