"""Counts of perf_engine's own history records, read from a site's database by SQL.

Measures: open stalled jobs by action, threshold violations since a moment by severity,
open index findings by priority, whether any index analysis ran, whether the last
threshold check left operations unmeasured, and the latest capacity comparison. The
bench (on the site's own connection) and the CLI (on its own) run the same queries.
All tables read are perf_engine's own and small.
"""

import json
from datetime import datetime, timedelta

import pymysql

from perf_engine.core.settings import DOCTYPE as SETTINGS_DOCTYPE

VIOLATION_WINDOW = timedelta(hours=24)
QUERIES = {
	"open_stalls_by_action": "SELECT action, COUNT(*) FROM `tabStalled Job` WHERE status = 'Open' GROUP BY action",
	"violations_24h": "SELECT severity, COUNT(*) FROM `tabThreshold Violation` WHERE measured_at > %(since)s GROUP BY severity",
	"open_index_findings": "SELECT priority, COUNT(*) FROM `tabIndex Recommendation` WHERE status = 'Open' GROUP BY priority",
	"index_analysed": "SELECT EXISTS (SELECT 1 FROM `tabIndex Recommendation`)",
	"thresholds_unmeasured": "SELECT value FROM `tabSingles` WHERE doctype = %(settings)s AND field = 'last_threshold_unmeasured'",
	"latest_capacity": "SELECT name, result_json FROM `tabCapacity Model` ORDER BY computed_at DESC LIMIT 1",
}


def site_counts(conn: pymysql.Connection, now: datetime) -> dict:
	"""Every count in one pass; `now` is the site's wall-clock time (history is stored in it)."""
	params = {"since": now - VIOLATION_WINDOW, "settings": SETTINGS_DOCTYPE}
	with conn.cursor() as cur:

		def grouped(query: str) -> dict[str, int]:
			cur.execute(QUERIES[query], params)
			return {str(key): int(n) for key, n in cur.fetchall()}

		def scalar(query: str):
			cur.execute(QUERIES[query], params)
			row = cur.fetchone()
			return row[0] if row else None

		by_action = grouped("open_stalls_by_action")
		counts = {
			"open_stalls": sum(by_action.values()),
			"open_stalls_by_action": by_action,
			"violations_24h": grouped("violations_24h"),
			"open_index_findings": grouped("open_index_findings"),
			"index_analysed": bool(scalar("index_analysed")),
			"thresholds_unmeasured": int(scalar("thresholds_unmeasured") or 0),
		}
		cur.execute(QUERIES["latest_capacity"], params)
		latest = cur.fetchone()
	counts["latest_capacity"] = latest and {"name": latest[0], "rows": comparison_rows(latest[1])}
	return counts


def comparison_rows(result_json: str | None) -> list[dict] | None:
	"""The comparison rows a Capacity Model stored; None when its comparison failed."""
	try:
		return json.loads(result_json or "{}").get("comparison", {}).get("rows")
	except (ValueError, AttributeError):
		return None
