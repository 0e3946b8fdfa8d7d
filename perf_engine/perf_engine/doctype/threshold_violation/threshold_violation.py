# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class ThresholdViolation(Document):
	"""A measurement that exceeded its threshold, kept as history."""


def record(checks: list[dict], measured_at, source: str) -> list[str]:
	"""Store each violating check under its own source, else `source`; returns the new record names."""
	names = []
	for check in checks:
		doc = frappe.get_doc(
			{
				"doctype": "Threshold Violation",
				"operation_type": check["operation_type"],
				"severity": check["severity"],
				"actual": check["actual"],
				"threshold": check["threshold"],
				"unit": check["unit"],
				"samples": check.get("samples"),
				"measured_at": measured_at,
				"source": check.get("source") or source,
			}
		).insert(ignore_permissions=True)
		names.append(doc.name)
	return names
