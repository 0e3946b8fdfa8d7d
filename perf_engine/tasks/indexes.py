"""Weekly index analysis, when switched on in Perf Engine Settings (off by default)."""

import frappe

from perf_engine import indexes


def weekly_analysis() -> None:
	if frappe.get_cached_doc("Perf Engine Settings").weekly_index_analysis:
		indexes.analyze_and_store()
