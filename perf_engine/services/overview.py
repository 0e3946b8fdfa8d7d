"""One place to look: figures, health per subsystem, snapshots for charts, and retention.

Subsystems: queues and workers, stalled jobs, Redis memory, indexes, thresholds and the
capacity verdict. Each is checked on its own (a failing check is reported as unknown with
its reason, the rest still answers) and reads only cheap sources: pipelined Redis counts,
one INFO, and small queries on perf_engine's own records.
"""

from datetime import timedelta

import frappe
from frappe.utils import add_to_date, now_datetime

from perf_engine.core.checks import run_check
from perf_engine.core.jobs.advice import ADD, NO_WORKER, advise
from perf_engine.core.jobs.queue_status import queue_status
from perf_engine.core.redis_memory import memory_status
from perf_engine.services import bridge, jobs, settings

SEVERITY = {"ok": 0, "unknown": 1, "warning": 2, "critical": 3}
HISTORY_DOCTYPES = {
	"Perf Snapshot": "taken_at",
	"Threshold Violation": "measured_at",
	"Redis Cleanup Log": "creation",
}
LAST_SNAPSHOT_KEY = "perf_engine:last_snapshot"
MB = 1024 * 1024


def part(status: str, reason: str, action: str = "") -> dict:
	return {"status": status, "reason": reason, "action": action}


def queues_part(rows: list[dict]) -> dict:
	advice = [{**row, **advise(row, jobs.advice_limits())} for row in rows]
	if stuck := [a for a in advice if a["advice"] == NO_WORKER]:
		return part(
			"critical", stuck[0]["reason"], "Start workers for the queues named (bench worker / supervisor)."
		)
	if behind := [a for a in advice if a["advice"] == ADD]:
		return part("warning", f"{behind[0]['queue']}: {behind[0]['reason']}", "Add workers to that queue.")
	return part("ok", f"{sum(r['queued'] for r in rows)} job(s) queued, every queue keeping up")


def stalls_part() -> dict:
	stalls = frappe.get_all("Stalled Job", filters={"status": "Open"}, fields=["action", "kind"])
	if not stalls:
		return part("ok", "no stalled jobs")
	status = "critical" if any(s.action != "warn" for s in stalls) else "warning"
	return part(status, f"{len(stalls)} open stalled job(s)", "Open Queue Status and stop or requeue them.")


def redis_part(status: dict) -> dict:
	options = settings.get().cleanup_options
	pressure = status["pressure"]
	if pressure is None:
		return part(
			"warning",
			"no maxmemory and no budget: Redis may grow until the host runs out",
			"Set maxmemory or a memory budget in Perf Engine Settings.",
		)
	text = f"{pressure * 100:.1f} % of the limit used"
	if pressure >= options["threshold"]:
		return part("critical", text, "Run the Redis cleanup or raise maxmemory.")
	if pressure >= options["target"]:
		return part("warning", text, "Watch it; cleanup starts at the threshold.")
	return part("ok", text)


def indexes_part() -> dict:
	if not frappe.db.count("Index Recommendation"):
		return part("warning", "no index analysis yet", "Run an analysis from Index Analysis.")
	high = frappe.db.count("Index Recommendation", {"status": "Open", "priority": "HIGH"})
	if high:
		return part(
			"warning", f"{high} open HIGH index finding(s)", "Apply or dismiss them in Index Analysis."
		)
	return part("ok", "no open HIGH findings")


def thresholds_part() -> dict:
	since = add_to_date(now_datetime(), hours=-24)
	counts = dict(
		frappe.get_all(
			"Threshold Violation",
			filters={"measured_at": (">", since)},
			fields=["severity", "count(name) as n"],
			group_by="severity",
			as_list=True,
		)
	)
	if counts.get("CRITICAL"):
		return part(
			"critical",
			f"{counts['CRITICAL']} critical violation(s) in 24 h",
			"Open Threshold Violation to see which operations.",
		)
	if counts.get("WARNING"):
		return part(
			"warning",
			f"{counts['WARNING']} violation(s) in 24 h",
			"Open Threshold Violation to see which operations.",
		)
	last = settings.stored("last_threshold_check") or ""
	if "No measurements" in last:
		return part(
			"warning",
			"thresholds could not all be measured",
			"Enable Frappe's monitor (monitor: 1 in site_config).",
		)
	return part("ok", "no violations in 24 h")


def capacity_part() -> dict:
	latest = frappe.get_all(
		"Capacity Model", fields=["name", "verdict"], order_by="computed_at desc", limit=1
	)
	if not latest:
		return part("warning", "no capacity model yet", "Create a Capacity Model for your expected load.")
	verdict = latest[0].verdict or ""
	if "under-provisioned" in verdict:
		return part(
			"critical", f"{latest[0].name}: {verdict}", "Add the workers or connections the model recommends."
		)
	if "over-provisioned" in verdict or verdict.startswith("unknown"):
		return part("warning", f"{latest[0].name}: {verdict}", "Review the Capacity Model.")
	return part("ok", f"{latest[0].name}: {verdict or 'fine'}")


def figures() -> dict:
	"""Raw figures for metrics and snapshots; a part that fails is None."""
	queues = run_check("queues", lambda: {"rows": queue_status(bridge.queue_redis(), jobs.bench_queues())})
	redis = run_check("redis", lambda: memory_status(bridge.cache_redis(), settings.get().budget_bytes))
	counts = run_check("counts", counts_from_db)
	return {
		"queues": queues.data["rows"] if queues.ok else None,
		"redis": redis.data if redis.ok else None,
		"counts": counts.data if counts.ok else None,
		"errors": {r.name: r.error for r in (queues, redis, counts) if not r.ok},
	}


def counts_from_db() -> dict:
	since = add_to_date(now_datetime(), hours=-24)
	violations = frappe.get_all(
		"Threshold Violation",
		filters={"measured_at": (">", since)},
		fields=["severity", "count(name) as n"],
		group_by="severity",
		as_list=True,
	)
	findings = frappe.get_all(
		"Index Recommendation",
		filters={"status": "Open"},
		fields=["priority", "count(name) as n"],
		group_by="priority",
		as_list=True,
	)
	return {
		"open_stalls": frappe.db.count("Stalled Job", {"status": "Open"}),
		"violations_24h": dict(violations),
		"open_index_findings": dict(findings),
	}


def health(found: dict | None = None) -> dict:
	"""Every subsystem as ok, warning, critical or unknown, with the reason and the next action."""
	found = found or figures()
	checks = {
		"queues": lambda: (
			queues_part(found["queues"]) if found["queues"] is not None else unknown(found, "queues")
		),
		"stalls": stalls_part,
		"redis": lambda: (
			redis_part(found["redis"]) if found["redis"] is not None else unknown(found, "redis")
		),
		"indexes": indexes_part,
		"thresholds": thresholds_part,
		"capacity": capacity_part,
	}
	subsystems = {}
	for name, check in checks.items():
		result = run_check(name, check)
		subsystems[name] = result.data if result.ok else part("unknown", result.error, "See the error log.")
	overall = max((s["status"] for s in subsystems.values()), key=SEVERITY.get)
	return {"status": overall, "subsystems": subsystems, "checked_at": now_datetime()}


def unknown(found: dict, name: str) -> dict:
	return part("unknown", found["errors"].get(name, "not available"), "Check that Redis is running.")


def take_snapshot() -> str:
	"""Store one Perf Snapshot from the current figures (missing parts stay empty)."""
	found = figures()
	rows, redis, counts = found["queues"] or [], found["redis"], found["counts"] or {}
	return (
		frappe.get_doc(
			{
				"doctype": "Perf Snapshot",
				"taken_at": now_datetime(),
				"queued_jobs": sum(r["queued"] for r in rows),
				"busy_workers": sum(r["workers"]["busy"] for r in rows),
				"live_workers": sum(r["workers"]["total"] for r in rows),
				"open_stalls": counts.get("open_stalls"),
				"redis_used_mb": redis["used_memory"] / MB if redis else None,
				"redis_used_percent": redis["pressure"] * 100
				if redis and redis["pressure"] is not None
				else None,
				"violations_24h": sum((counts.get("violations_24h") or {}).values()),
				"open_high_indexes": (counts.get("open_index_findings") or {}).get("HIGH", 0),
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


def prune_history() -> dict:
	"""Delete history older than the retention period, oldest first, in bounded batches."""
	days = settings.get().history_retention_days
	cutoff = now_datetime() - timedelta(days=days)
	deleted = {}
	for doctype, field in HISTORY_DOCTYPES.items():
		names = frappe.get_all(doctype, filters={field: ("<", cutoff)}, pluck="name", limit=10_000)
		if names:
			frappe.db.delete(doctype, {"name": ("in", names)})
		deleted[doctype] = len(names)
	frappe.db.delete("Stalled Job", {"status": "Resolved", "last_seen": ("<", cutoff)})
	return deleted
