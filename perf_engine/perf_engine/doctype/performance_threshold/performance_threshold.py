# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from perf_engine.core.latency.thresholds import DEFAULT_THRESHOLDS, SOURCES, Threshold


class PerformanceThreshold(Document):
	"""The limit for one operation type."""

	def validate(self) -> None:
		if self.value is None or self.value <= 0:
			frappe.throw(_("Threshold must be greater than zero"), frappe.ValidationError)


def load_thresholds() -> dict[str, Threshold]:
	"""Every stored threshold as the core's Threshold, keyed by operation type."""
	rows = frappe.get_all("Performance Threshold", fields=["operation_type", "value", "unit", "enabled"])
	return {r.operation_type: Threshold(r.operation_type, r.value, r.unit, bool(r.enabled)) for r in rows}


def seed_defaults() -> None:
	"""Insert the default thresholds that are missing; existing ones keep the user's values and get
	the description of their source when they have none."""
	for threshold in DEFAULT_THRESHOLDS:
		if frappe.db.exists("Performance Threshold", threshold.operation_type):
			if not frappe.db.get_value("Performance Threshold", threshold.operation_type, "description"):
				frappe.db.set_value(
					"Performance Threshold",
					threshold.operation_type,
					"description",
					SOURCES[threshold.operation_type],
					update_modified=False,
				)
		else:
			frappe.get_doc(
				{
					"doctype": "Performance Threshold",
					"operation_type": threshold.operation_type,
					"value": threshold.value,
					"unit": threshold.unit,
					"enabled": 1,
					"description": SOURCES[threshold.operation_type],
				}
			).insert(ignore_permissions=True)
