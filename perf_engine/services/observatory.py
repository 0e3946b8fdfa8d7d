"""The database observatory for this site: what runs now, kills, top queries, deadlocks.

The site is its own database and database user (`frappe.conf`); every reading goes through the
core with the site's own connection, so MariaDB itself keeps it to what this user may see.
Kills are recorded as *Query Kill Log* (who, when, which statement, whether it still ran);
deadlocks the check finds are kept once each as *Deadlock* and System Managers are
notified once. The check rides perf_engine's tick (`check_deadlocks`): one status counter a
tick, `SHOW ENGINE INNODB STATUS` only when it grew, at most once a minute.
"""

import json
import logging
import time
from datetime import datetime

import frappe
from frappe import _
from frappe.utils import get_datetime, now_datetime

from perf_engine.core.observatory import deadlock_watch, explain, running, top_queries, window
from perf_engine.core.observatory.deadlock_report import Deadlock, DeadlockTransaction, Lock
from perf_engine.core.observatory.kill import kill_query
from perf_engine.core.observatory.site import Site
from perf_engine.core.observatory.suggested_index import add_suggestions
from perf_engine.services import bridge, settings

logger = logging.getLogger(__name__)
DEADLOCK = "Deadlock"
KILL_LOG = "Query Kill Log"
RECOMMENDATION = "Index Recommendation"
WATCH_KEY = "perf_engine:deadlock_watch"
MAX_DEADLOCKS_LISTED = 100
DESCRIPTION_CHARS = 140


def site() -> Site:
	"""This site's database and the user its connections sign in as."""
	return Site(frappe.conf.db_name, frappe.conf.db_user or frappe.conf.db_name)


def running_queries() -> dict:
	with bridge.core_errors():
		return running.running(bridge.db_connection(), site(), settings.get().running_query_seconds)


def kill(thread_id: int, query_id: int | None, source: str) -> dict:
	"""KILL QUERY of one of the site's statements after the core's rules; recorded as Query Kill Log."""
	with bridge.core_errors():
		result = kill_query(bridge.db_connection(), site(), thread_id, query_id)
	log = frappe.get_doc(
		{
			"doctype": KILL_LOG,
			"killed_at": now_datetime(),
			"killed_by": frappe.session.user,
			"outcome": "Stopped" if result.killed else "Already Finished",
			"source": source,
			"thread_id": result.thread_id,
			"query_id": result.query_id,
			"db_user": result.user,
			"running_s": result.running_s,
			"statement": result.statement,
			"message": result.message,
		}
	).insert(ignore_permissions=True)
	logger.info(
		"%s killed query %s of thread %s: %s", frappe.session.user, result.query_id, thread_id, result.message
	)
	return {**result.as_dict(), "log": log.name}


def top(since: str | None, limit: int, source: str) -> dict:
	"""Top queries of the window with the index the analysis would add and its recommendation, if stored."""
	with bridge.core_errors():
		now = time.time()
		conn = bridge.db_connection()
		found = top_queries.top_queries(
			conn,
			frappe.conf.db_name,
			window.since_epoch(since, now),
			limit,
			source,
			now=now,
			budget_s=top_queries.VIEW_BUDGET_S,
		)
		add_suggestions(conn, frappe.conf.db_name, found["queries"])
	for query in found["queries"]:
		suggestion = query["suggested_index"]
		if suggestion:
			suggestion["recommendation"] = frappe.db.exists(RECOMMENDATION, suggestion["key"]) or None
	return found


def explain_statement(statement: str) -> dict:
	with bridge.core_errors():
		return explain.explain(bridge.db_connection(), statement)


def check_deadlocks() -> str | None:
	"""The tick's check: the counter, the status when it grew (once a minute at most), a new Deadlock kept.

	Never raises: a failing check is logged and the tick it rides carries on."""
	try:
		return check_deadlocks_now()
	except Exception:
		logger.exception("deadlock check failed")
		return None


def check_deadlocks_now() -> str | None:
	"""The name of the Deadlock stored by this check, if it found a new one."""
	stored = frappe.cache.get_value(WATCH_KEY) or {}
	state = deadlock_watch.WatchState(stored.get("deadlocks"), stored.get("status_read_at"))
	result = deadlock_watch.check(bridge.db_connection(), site(), state)
	frappe.cache.set_value(WATCH_KEY, vars(result.state))
	if result.note:
		logger.info("deadlock check: %s", result.note)
	if result.deadlock is None or frappe.db.exists(DEADLOCK, result.deadlock.key):
		return None
	name = store(result.deadlock)
	notify(name)
	frappe.db.commit()
	return name


def store(deadlock: Deadlock) -> str:
	"""One Deadlock row per deadlock (its key is its name)."""
	sides = {}
	for number in (1, 2):
		side = next((t for t in deadlock.transactions if t.number == number), None)
		sides |= side_values(number, side, deadlock.victim)
	locks = [t.waiting_for for t in deadlock.transactions if t.waiting_for]
	doc = frappe.get_doc(
		{
			"doctype": DEADLOCK,
			"detected_on": detected_on(deadlock.detected_at),
			"tables": ", ".join(dict.fromkeys(lock.table for lock in locks))[:DESCRIPTION_CHARS],
			"indexes": ", ".join(dict.fromkeys(lock.index for lock in locks if lock.index))[
				:DESCRIPTION_CHARS
			],
			"victim_thread": (deadlock.victim_transaction.thread_id if deadlock.victim_transaction else None),
			"note": "; ".join(deadlock.problems),
			"raw_text": deadlock.raw,
			**sides,
		}
	)
	doc.insert(ignore_permissions=True, set_name=deadlock.key)
	return doc.name


def side_values(number: int, side: DeadlockTransaction | None, victim: int | None) -> dict:
	if side is None:
		return {}
	return {
		f"thread_{number}": side.thread_id,
		f"rolled_back_{number}": int(victim == number),
		f"statement_{number}": side.statement,
		f"waiting_for_{number}": describe_lock(side.waiting_for) if side.waiting_for else "",
		f"locks_{number}": "\n".join(describe_lock(lock) for lock in side.locks),
	}


def describe_lock(lock: Lock) -> str:
	where = f"index {lock.index} of " if lock.index else ""
	return f"{lock.mode} on {where}{lock.table} (held by transaction {lock.trx_id})"


def detected_on(detected_at: str | None) -> datetime:
	"""InnoDB's detection time (the server's clock), or now when it printed none."""
	try:
		return get_datetime(detected_at) if detected_at else now_datetime()
	except ValueError:
		return now_datetime()


def notify(name: str) -> None:
	"""One Notification Log per System Manager for a new deadlock."""
	managers = frappe.get_all(
		"Has Role", filters={"role": "System Manager", "parenttype": "User"}, pluck="parent"
	)
	deadlock = frappe.get_doc(DEADLOCK, name)
	for user in set(managers) - {"Administrator", "Guest"}:
		frappe.get_doc(
			{
				"doctype": "Notification Log",
				"for_user": user,
				"type": "Alert",
				"document_type": DEADLOCK,
				"document_name": name,
				"subject": _("Deadlock on {0}: thread {1} was rolled back").format(
					deadlock.tables or _("a table"), deadlock.victim_thread or "?"
				),
			}
		).insert(ignore_permissions=True)


def deadlocks(limit: int) -> list[dict]:
	"""The site's latest deadlocks, newest first."""
	if not 1 <= limit <= MAX_DEADLOCKS_LISTED:
		frappe.throw(_("limit must be from 1 to {0}").format(MAX_DEADLOCKS_LISTED), frappe.ValidationError)
	rows = frappe.get_all(
		DEADLOCK,
		fields=[
			"name",
			"detected_on",
			"tables",
			"indexes",
			"victim_thread",
			"thread_1",
			"statement_1",
			"rolled_back_1",
			"waiting_for_1",
			"thread_2",
			"statement_2",
			"rolled_back_2",
			"waiting_for_2",
			"note",
		],
		order_by="detected_on desc",
		limit=limit,
	)
	return json.loads(frappe.as_json(rows))
