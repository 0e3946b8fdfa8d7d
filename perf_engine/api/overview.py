"""Health overview, Prometheus metrics, and the workspace's number cards."""

import frappe
from prometheus_client import CONTENT_TYPE_LATEST
from werkzeug.wrappers import Response

from perf_engine.core.health.metrics import render
from perf_engine.services import bridge, footprint, overview


@frappe.whitelist()
@bridge.core_errors()
def get_health() -> dict:
	"""Every subsystem as ok, warning, critical or unknown, with the reason and the next action."""
	bridge.require_manager()
	return overview.health()


@frappe.whitelist()
@bridge.core_errors()
def get_footprint() -> dict:
	"""What perf_engine itself costs this site and bench: its jobs, rows, Redis keys and connections, judged."""
	bridge.require_manager()
	return footprint.report()


@frappe.whitelist()
@bridge.core_errors()
def metrics() -> Response:
	"""The same figures and the SLA percentiles in Prometheus' text format, for a scraper using an
	API key and secret."""
	bridge.require_manager()
	return Response(render(overview.metric_figures(), overview.identity()), mimetype=CONTENT_TYPE_LATEST)


def card(value: float | None, fieldtype: str = "Int") -> dict:
	return {"value": value or 0, "fieldtype": fieldtype}


@frappe.whitelist()
@bridge.core_errors()
def queued_jobs_card(filters: str | None = None) -> dict:
	"""Number card: jobs waiting in every queue of the bench."""
	bridge.require_manager()
	return card(overview.totals()["queued_jobs"])


@frappe.whitelist()
@bridge.core_errors()
def redis_used_card(filters: str | None = None) -> dict:
	"""Number card: Redis memory used, in % of maxmemory or the budget."""
	bridge.require_manager()
	return card(overview.totals()["redis_used_percent"], "Percent")


@frappe.whitelist()
@bridge.core_errors()
def violations_24h_card(filters: str | None = None) -> dict:
	"""Number card: threshold violations in the last 24 hours."""
	bridge.require_manager()
	return card(overview.totals()["violations_24h"])
