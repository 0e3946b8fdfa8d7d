# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class RedisCleanupLog(Document):
	"""One cleanup run, kept so operators see what was freed and when."""


def record(report: dict, trigger: str) -> str:
	"""Store a cleanup report; pressures are kept as percentages."""
	percent = lambda value: None if value is None else round(value * 100, 2)  # noqa: E731
	return (
		frappe.get_doc(
			{
				"doctype": "Redis Cleanup Log",
				"trigger": trigger,
				"dry_run": int(report["dry_run"]),
				"keys_deleted": report["keys"],
				"bytes_freed": report["bytes"],
				"pressure_before": percent(report["pressure_before"]),
				"pressure_after": percent(report["pressure_after"]),
				"duration_s": report["duration_s"],
				"outcome": report.get("skipped") or report.get("stopped"),
			}
		)
		.insert(ignore_permissions=True)
		.name
	)
