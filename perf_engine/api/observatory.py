"""Database observatory methods: running queries, KILL QUERY, top queries with EXPLAIN, deadlocks."""

import frappe

from perf_engine.services import bridge, observatory

KILLER_ROLE = "System Manager"


@frappe.whitelist()
@bridge.core_errors()
def running_queries() -> dict:
	"""The site's statements over the running-query threshold, its lock waits and blocking chains."""
	bridge.require_manager()
	return observatory.running_queries()


@frappe.whitelist(methods=["POST"])
@bridge.core_errors()
def kill_query(thread_id: int, query_id: int | None = None) -> dict:
	"""KILL QUERY of one of the site's running statements (System Manager only), recorded as Query Kill Log."""
	frappe.only_for(KILLER_ROLE)
	return observatory.kill(int(thread_id), None if query_id in (None, "") else int(query_id), "Desk or REST")


@frappe.whitelist()
@bridge.core_errors()
def top_queries(since: str | None = None, limit: int = 20, source: str = "auto") -> dict:
	"""The statements of most total time per fingerprint since `since` (hour, day, 6h, or a date-time)."""
	bridge.require_manager()
	return observatory.top(since, int(limit), source)


@frappe.whitelist(methods=["POST"])
@bridge.core_errors()
def explain_query(statement: str) -> dict:
	"""Plain EXPLAIN (never run) of one SELECT with values: a top query's example."""
	bridge.require_manager()
	return observatory.explain_statement(statement)


@frappe.whitelist()
@bridge.core_errors()
def deadlocks(limit: int = 20) -> list[dict]:
	"""The site's latest deadlocks, newest first."""
	bridge.require_manager()
	return observatory.deadlocks(int(limit))
