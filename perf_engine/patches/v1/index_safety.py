"""Upgrade to safe index changes: apply settings still at the old defaults (5 s wait, 3 retries)
move to the new ones and values outside the allowed ranges to the nearest bound, so a blocked
apply holds a table about 1 s; open drop findings stored under the old key (which left out the
index name) are deleted, since apply now refuses them, and the next analysis finds them again."""

import frappe

from perf_engine.core.indexes import apply as online
from perf_engine.core.indexes.recommendation import DROP, key
from perf_engine.core.indexes.redundant import DUPLICATE_FOREIGN_KEY
from perf_engine.core.settings import DOCTYPE as SETTINGS

OLD_DEFAULTS = {"ddl_lock_wait_timeout": 5, "ddl_retries": 3}
NEW_DEFAULTS = {"ddl_lock_wait_timeout": online.LOCK_WAIT_TIMEOUT_S, "ddl_retries": online.RETRIES}
RANGES = {"ddl_lock_wait_timeout": online.LOCK_WAIT_RANGE_S, "ddl_retries": online.RETRIES_RANGE}


def execute():
	bound_settings()
	forget_old_drop_findings()


def bound_settings() -> None:
	for field, (low, high) in RANGES.items():
		value = frappe.db.get_single_value(SETTINGS, field)
		new = NEW_DEFAULTS[field] if value in (None, OLD_DEFAULTS[field]) else min(max(int(value), low), high)
		if new != value:
			frappe.db.set_single_value(SETTINGS, field, new)


def forget_old_drop_findings() -> None:
	for finding in frappe.get_all(
		"Index Recommendation",
		filters={"kind": DROP, "status": ("in", ("Open", "Failed")), "source": ("!=", DUPLICATE_FOREIGN_KEY)},
		fields=["name", "table_name", "columns", "index_name"],
	):
		columns = tuple(c.strip() for c in (finding.columns or "").split(",") if c.strip())
		if finding.name != key(finding.table_name, columns, DROP, finding.index_name):
			frappe.delete_doc("Index Recommendation", finding.name, force=True, ignore_permissions=True)
