"""The production-readiness checklist."""

import frappe

from perf_engine.services import bridge
from perf_engine.services import readiness as readiness_service


@frappe.whitelist()
@bridge.core_errors()
def readiness(requests_since: str | None = None) -> dict:
	"""Every line of the production-readiness checklist: ok, warning or failing, the evidence and the action;
	slow requests judged only since `requests_since` (a deploy, say) when given."""
	bridge.require_manager()
	return readiness_service.answer(requests_since)
