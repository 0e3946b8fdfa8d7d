"""SLA percentiles per kind of work and top endpoint."""

import frappe

from perf_engine.services import bridge, sla


@frappe.whitelist()
@bridge.core_errors()
def get_sla() -> dict:
	"""p50, p95, p99 and counts for the monitor window, the last day and the last 7 days."""
	bridge.require_manager()
	return sla.get_sla()
