"""Move index-apply settings still at the old defaults (5 s wait, 3 retries) to the new ones, and
any value outside the allowed range to the nearest bound, so a blocked apply holds the table ~1 s."""

import frappe

from perf_engine.core.indexes import apply as online

SETTINGS = "Perf Engine Settings"
OLD_DEFAULTS = {"ddl_lock_wait_timeout": 5, "ddl_retries": 3}
NEW_DEFAULTS = {"ddl_lock_wait_timeout": online.LOCK_WAIT_TIMEOUT_S, "ddl_retries": online.RETRIES}
RANGES = {"ddl_lock_wait_timeout": online.LOCK_WAIT_RANGE_S, "ddl_retries": online.RETRIES_RANGE}


def execute():
	for field, (low, high) in RANGES.items():
		value = frappe.db.get_single_value(SETTINGS, field)
		new = NEW_DEFAULTS[field] if value in (None, OLD_DEFAULTS[field]) else min(max(int(value), low), high)
		if new != value:
			frappe.db.set_single_value(SETTINGS, field, new)
