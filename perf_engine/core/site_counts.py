"""Counts of perf_engine's own history records, read from a site's database by SQL.

Measures: open stalled jobs, threshold violations of the last 24 hours by severity, open
index findings by priority, and the latest capacity verdict. Used where Frappe is not
loaded (the CLI); inside a bench the same figures come through frappe.db.
"""

import pymysql

QUERIES = {
	"open_stalls": "SELECT COUNT(*) FROM `tabStalled Job` WHERE status = 'Open'",
	"violations_24h": "SELECT severity, COUNT(*) FROM `tabThreshold Violation` WHERE measured_at > NOW() - INTERVAL 1 DAY GROUP BY severity",
	"open_index_findings": "SELECT priority, COUNT(*) FROM `tabIndex Recommendation` WHERE status = 'Open' GROUP BY priority",
}


def site_counts(conn: pymysql.Connection) -> dict:
	with conn.cursor() as cur:
		cur.execute(QUERIES["open_stalls"])
		open_stalls = int(cur.fetchone()[0])
		cur.execute(QUERIES["violations_24h"])
		violations = {severity: int(n) for severity, n in cur.fetchall()}
		cur.execute(QUERIES["open_index_findings"])
		findings = {priority: int(n) for priority, n in cur.fetchall()}
	return {"open_stalls": open_stalls, "violations_24h": violations, "open_index_findings": findings}
