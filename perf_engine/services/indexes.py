"""Index analysis and apply for this site, through the core, stored as Index Recommendations.

A stored recommendation is never trusted for DDL: before queueing and again in the job,
its identity (table, columns, kind, index name) must hash to its name (the key the
analysis gave it), the live schema must allow the change, and a drop must be one a
current analysis still proposes. Whoever applies, and the exact DDL that ran, are recorded.
"""

import json
import logging

import frappe
from frappe import _
from frappe.custom.doctype.property_setter.property_setter import make_property_setter
from frappe.utils import now_datetime

from perf_engine.core.errors import InvalidInput
from perf_engine.core.indexes import apply as online
from perf_engine.core.indexes.analysis import analyze, current_drops, owners_by_table
from perf_engine.core.indexes.catalog import indexes as table_indexes
from perf_engine.core.indexes.catalog import table_sizes
from perf_engine.core.indexes.recommendation import ADD, DROP, check_identity
from perf_engine.services import bridge, query, settings
from perf_engine.services.index_meta import doctype_metas

logger = logging.getLogger(__name__)
DOCTYPE = "Index Recommendation"
CLOSED = ("Applied", "Dismissed")
BUSY = ("Queued", "Applying", "Applied", "Dismissed")
PROGRESS_EVENT = "perf_engine_index_progress"


def analyze_and_store(doctype: str | None = None) -> dict:
	"""Run the analysis and upsert findings: open ones are refreshed, closed ones never reopened."""
	if doctype and not frappe.db.exists("DocType", doctype):
		frappe.throw(_("DocType {0} does not exist").format(doctype), frappe.ValidationError)
	with bridge.core_errors():
		result = analyze(
			bridge.db_connection(),
			frappe.conf.db_name,
			doctype_metas(doctype),
			on_progress=bridge.progress(_("Analysing indexes")),
			guarded=query.guard_evidence(),
		)
	if doctype:
		result["findings"] = [f for f in result["findings"] if f["table"] == f"tab{doctype}"]
	created = updated = 0
	for finding in result["findings"]:
		status = frappe.db.get_value(DOCTYPE, finding["key"], "status")
		if status in CLOSED:
			continue
		values = recommendation_values(finding)
		if status:
			frappe.db.set_value(DOCTYPE, finding["key"], values)
			updated += 1
		else:
			recommendation = frappe.get_doc(
				{"doctype": DOCTYPE, "name": finding["key"], "status": "Open", **values}
			)
			recommendation.flags.from_analysis = True
			recommendation.insert(ignore_permissions=True, set_name=finding["key"])
			created += 1
	return {**result, "created": created, "updated": updated}


def recommendation_values(finding: dict) -> dict:
	doctype = finding["table"][3:] if finding["table"].startswith("tab") else None
	return {
		"table_name": finding["table"],
		"reference_doctype": doctype if doctype and frappe.db.exists("DocType", doctype) else None,
		"columns": ", ".join(finding["columns"]),
		"index_name": finding["index_name"],
		"kind": finding["kind"],
		"priority": finding["priority"],
		"source": finding["source"],
		"rows_estimate": finding["rows"],
		"total_time_s": finding["total_time_s"],
		"reason": finding["reason"],
		"ddl": finding["ddl"],
		"managed_by": finding["managed_by"],
		"blocked_reason": finding["blocked_reason"],
		"lock_note": finding["lock_note"],
		"evidence": json.dumps(finding["evidence"], indent=1, default=str),
		"last_analyzed": now_datetime(),
	}


def limits() -> online.Limits:
	"""The apply limits from the site's settings (validated there against the core's bounds)."""
	current = settings.get()
	with bridge.core_errors():
		return online.Limits(current.ddl_lock_wait_timeout, current.ddl_retries)


def columns_of(recommendation) -> tuple[str, ...]:
	return tuple(c.strip() for c in (recommendation.columns or "").split(",") if c.strip())


def verified_change(recommendation) -> online.Change:
	"""The change this recommendation stands for, re-derived from its key and the live schema.

	Refuses a finding that says it has no one-click action, an identity that no longer hashes
	to the name the analysis gave it, anything the live schema does not allow, and a drop a
	current analysis would not propose."""
	if recommendation.blocked_reason:
		frappe.throw(recommendation.blocked_reason, frappe.ValidationError, title=_("Not offered"))
	conn, database, table = bridge.db_connection(), frappe.conf.db_name, recommendation.table_name
	columns = columns_of(recommendation)
	with bridge.core_errors():
		check_identity(recommendation.name, table, columns, recommendation.kind, recommendation.index_name)
		metas = table_metas(table)
		owners = owners_by_table(metas, table_indexes(conn, database, table)).get(table, {})
		change = online.plan(
			conn, database, table, columns, recommendation.index_name, recommendation.kind, owners
		)
		if (
			change.kind == DROP
			and not change.done
			and change.index_name not in current_drops(conn, database, table, metas)
		):
			raise InvalidInput(
				f"An analysis would no longer propose dropping {change.index_name} from {table} "
				"(what made it redundant or unused has changed): re-run the analysis; nothing was changed"
			)
	return change


def table_metas(table: str) -> list:
	"""The meta of the DocType behind `table`, when there is one."""
	doctype = table[3:] if table.startswith("tab") else ""
	return doctype_metas(doctype) if doctype and frappe.db.exists("DocType", doctype) else []


def enqueue_apply(name: str, confirm: bool = False) -> str:
	"""Queue the DDL on the long queue, once the finding is verified; dropping needs confirmation."""
	recommendation = frappe.get_doc(DOCTYPE, name)
	if recommendation.status in BUSY:
		frappe.throw(_("This recommendation is {0}").format(recommendation.status), frappe.ValidationError)
	limits()
	change = verified_change(recommendation)
	if change.kind == DROP and not confirm:
		frappe.throw(
			_("Dropping index {0} needs confirm=1").format(change.index_name), frappe.ValidationError
		)
	job = frappe.enqueue(
		"perf_engine.services.indexes.run_apply",
		queue="long",
		timeout=6 * 3600,
		name=name,
		user=frappe.session.user,
	)
	recommendation.db_set({"status": "Queued", "job_id": job.id, "error": None})
	return job.id


def run_apply(name: str, user: str) -> dict:
	"""The job: verify again, apply online, record who applied which DDL; keep single columns in meta."""
	recommendation = frappe.get_doc(DOCTYPE, name)
	recommendation.db_set("status", "Applying", commit=True)
	publish(recommendation, user)
	try:
		change = verified_change(recommendation)
		if change.done:
			outcome = online.ApplyResult("Applied", 0.0, 0, change.done).as_dict()
		else:
			result = online.run(
				bridge.db_connection(), frappe.conf.db_name, change.table, change.statement, limits()
			)
			outcome = result.as_dict()
	except Exception as exc:
		frappe.db.rollback()
		logger.exception("applying index recommendation %s failed", name)
		outcome = {"status": "Failed", "duration_s": 0, "message": str(exc), "statement": ""}
	record(recommendation, outcome, user)
	if outcome["statement"] and recommendation.kind == ADD and recommendation.reference_doctype:
		keep_in_meta(recommendation.reference_doctype, columns_of(recommendation))
	frappe.db.commit()
	publish(recommendation, user)
	return outcome


def record(recommendation, outcome: dict, user: str) -> None:
	"""Status, duration and error on the document; who ran which exact DDL also on its timeline."""
	failed = outcome["status"] == "Failed"
	recommendation.db_set(
		{
			"status": outcome["status"],
			"duration_s": outcome["duration_s"],
			"error": outcome["message"] if failed else None,
			"applied_by": None if failed else user,
			"applied_at": None if failed else now_datetime(),
			"applied_ddl": outcome["statement"] or None,
		}
	)
	if outcome["statement"]:
		recommendation.add_comment("Info", _("{0} ran: {1}").format(user, outcome["statement"]))


def keep_in_meta(doctype: str, columns: tuple[str, ...]) -> None:
	"""As Frappe's Recorder does: a search_index Property Setter so `bench migrate` keeps the index."""
	if len(columns) == 1 and frappe.get_meta(doctype).has_field(columns[0]):
		make_property_setter(
			doctype, columns[0], "search_index", 1, "Check", validate_fields_for_doctype=False
		)


def publish(recommendation, user: str) -> None:
	"""Tell open Desk pages and forms the status changed."""
	frappe.publish_realtime(
		PROGRESS_EVENT, {"name": recommendation.name, "status": recommendation.status}, user=user
	)


def dismiss(name: str) -> None:
	recommendation = frappe.get_doc(DOCTYPE, name)
	if recommendation.status in ("Queued", "Applying"):
		frappe.throw(_("A recommendation being applied cannot be dismissed"), frappe.ValidationError)
	recommendation.db_set("status", "Dismissed")


def trial_ignore(name: str, ignored: bool) -> str:
	"""Make a drop candidate IGNORED (or restore it) to watch the effect before dropping."""
	recommendation = frappe.get_doc(DOCTYPE, name)
	if recommendation.kind != DROP:
		frappe.throw(
			_("Only indexes recommended for dropping can be ignored on trial"), frappe.ValidationError
		)
	change = verified_change(recommendation)
	with bridge.core_errors():
		return online.set_ignored(
			bridge.db_connection(),
			frappe.conf.db_name,
			change.table,
			change.index_name,
			ignored,
			online.Limits(limits().lock_wait_timeout_s, retries=0),
		)


LARGEST_TABLES_SHOWN = 20
FINDINGS_SHOWN = 200


def overview() -> dict:
	"""Largest tables and the findings not dismissed, busiest and most urgent first."""
	sizes = sorted(table_sizes(bridge.db_connection(), frappe.conf.db_name).values(), key=lambda s: -s.rows)[
		:LARGEST_TABLES_SHOWN
	]
	findings = frappe.get_all(
		DOCTYPE,
		filters={"status": ("not in", ("Dismissed",))},
		fields=[
			"name",
			"table_name",
			"columns",
			"kind",
			"priority",
			"status",
			"reason",
			"rows_estimate",
			"source",
			"ddl",
			"error",
			"managed_by",
			"blocked_reason",
			"lock_note",
		],
		order_by="FIELD(status, 'Applying', 'Queued', 'Open', 'Failed', 'Applied'), FIELD(priority, 'HIGH', 'MEDIUM', 'LOW'), total_time_s desc, rows_estimate desc",
		limit=FINDINGS_SHOWN,
	)
	return {"largest_tables": [vars(s) for s in sizes], "findings": findings}
