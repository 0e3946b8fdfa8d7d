"""Index methods: analyse, apply (on the long queue), dismiss, and the IGNORED trial."""

import frappe

from perf_engine.services import bridge, indexes


@frappe.whitelist(methods=["POST"])
@bridge.core_errors()
def analyze_indexes(doctype: str | None = None) -> dict:
	"""Analyse the site (or one DocType) and store findings as Index Recommendations."""
	bridge.require_manager()
	result = indexes.analyze_and_store(doctype)
	return {
		key: result[key]
		for key in (
			"created",
			"updated",
			"largest_tables",
			"notes",
			"skipped_small_tables",
			"unread_statements",
		)
	} | {"findings": len(result["findings"])}


@frappe.whitelist(methods=["POST"])
@bridge.core_errors()
def apply_index_recommendation(name: str, confirm: int = 0) -> dict:
	"""Verify the finding against its key and the live schema, then queue the online DDL; a drop needs confirm=1."""
	bridge.require_manager()
	return {"job_id": indexes.enqueue_apply(name, confirm=bool(int(confirm))), "status": "Queued"}


@frappe.whitelist(methods=["POST"])
@bridge.core_errors()
def dismiss_index_recommendation(name: str) -> dict:
	"""Dismiss a finding; later analyses never reopen it."""
	bridge.require_manager()
	indexes.dismiss(name)
	return {"name": name, "status": "Dismissed"}


@frappe.whitelist(methods=["POST"])
@bridge.core_errors()
def trial_ignore_index(name: str, ignored: int = 1) -> str:
	"""Make a drop candidate IGNORED (reversible) or restore it."""
	bridge.require_manager()
	return indexes.trial_ignore(name, bool(int(ignored)))


@frappe.whitelist()
@bridge.core_errors()
def get_index_overview() -> dict:
	"""Largest tables and the open findings, for the index-analysis page."""
	bridge.require_manager()
	return indexes.overview()
