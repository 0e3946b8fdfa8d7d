"""Index analysis and apply for this site, through the core, stored as Index Recommendations."""

import json

import frappe
from frappe import _
from frappe.custom.doctype.property_setter.property_setter import make_property_setter
from frappe.utils import now_datetime

from perf_engine.core.indexes import apply as online
from perf_engine.core.indexes.analysis import analyze
from perf_engine.core.indexes.recommendation import ADD, DROP
from perf_engine.core.indexes.schema import DocTypeMeta
from perf_engine.services import bridge, settings

DOCTYPE = "Index Recommendation"
CLOSED = ("Applied", "Dismissed")
PROGRESS_EVENT = "perf_engine_index_progress"


def doctype_metas(doctype: str | None = None) -> list[DocTypeMeta]:
	"""Filter-relevant meta of every table DocType (Custom Fields and Property Setters applied)."""
	names = (
		[doctype]
		if doctype
		else frappe.get_all("DocType", filters={"istable": 0, "issingle": 0, "is_virtual": 0}, pluck="name")
	)
	metas = []
	for name in names:
		meta = frappe.get_meta(name)
		fields = [
			{
				"fieldname": f.fieldname,
				"fieldtype": f.fieldtype,
				"options": f.options,
				"in_standard_filter": f.in_standard_filter,
			}
			for f in meta.fields
			if f.fieldname
		]
		search = [s.strip() for s in (meta.search_fields or "").split(",") if s.strip()]
		metas.append(DocTypeMeta(name, fields, search, meta.sort_field))
	return metas


def analyze_and_store(doctype: str | None = None) -> dict:
	"""Run the analysis and upsert findings: open ones are refreshed, closed ones never reopened."""
	if doctype and not frappe.db.exists("DocType", doctype):
		frappe.throw(_("DocType {0} does not exist").format(doctype), frappe.ValidationError)
	progress = lambda done, total: frappe.publish_progress(done * 100 / total, title=_("Analysing indexes"))  # noqa: E731
	with bridge.core_errors():
		result = analyze(
			bridge.db_connection(), frappe.conf.db_name, doctype_metas(doctype), on_progress=progress
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
			frappe.get_doc({"doctype": DOCTYPE, "name": finding["key"], "status": "Open", **values}).insert(
				ignore_permissions=True, set_name=finding["key"]
			)
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
		"evidence": json.dumps(finding["evidence"], indent=1, default=str),
		"last_analyzed": now_datetime(),
	}


def enqueue_apply(name: str, confirm: bool = False) -> str:
	"""Queue the DDL on the long queue; dropping needs an explicit confirmation."""
	recommendation = frappe.get_doc(DOCTYPE, name)
	if recommendation.status in ("Queued", "Applying", "Applied", "Dismissed"):
		frappe.throw(_("This recommendation is {0}").format(recommendation.status), frappe.ValidationError)
	if recommendation.kind == DROP and not confirm:
		frappe.throw(
			_("Dropping index {0} needs confirm=1").format(recommendation.index_name), frappe.ValidationError
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
	"""The job: apply online, record status, duration and error, keep single-column indexes in meta."""
	recommendation = frappe.get_doc(DOCTYPE, name)
	recommendation.db_set("status", "Applying", commit=True)
	publish(recommendation, user)
	current = settings.get()
	columns = tuple(c.strip() for c in recommendation.columns.split(","))
	try:
		result = online.apply(
			bridge.db_connection(),
			frappe.conf.db_name,
			recommendation.table_name,
			columns,
			recommendation.index_name,
			kind=recommendation.kind,
			lock_wait_timeout_s=current.ddl_lock_wait_timeout,
			retries=current.ddl_retries,
		)
		outcome = result.as_dict()
	except Exception as exc:
		outcome = {"status": "Failed", "duration_s": 0, "message": str(exc)}
	failed = outcome["status"] == "Failed"
	recommendation.db_set(
		{
			"status": outcome["status"],
			"duration_s": outcome["duration_s"],
			"error": outcome["message"] if failed else None,
			"applied_by": None if failed else user,
			"applied_at": None if failed else now_datetime(),
		}
	)
	if not failed and recommendation.kind == ADD and len(columns) == 1 and recommendation.reference_doctype:
		keep_in_meta(recommendation.reference_doctype, columns[0])
	frappe.db.commit()
	publish(recommendation, user)
	return outcome


def keep_in_meta(doctype: str, fieldname: str) -> None:
	"""As Frappe's Recorder does: a search_index Property Setter so `bench migrate` keeps the index."""
	if frappe.get_meta(doctype).has_field(fieldname):
		make_property_setter(
			doctype, fieldname, "search_index", 1, "Check", validate_fields_for_doctype=False
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
	with bridge.core_errors():
		return online.set_ignored(
			bridge.db_connection(),
			frappe.conf.db_name,
			recommendation.table_name,
			recommendation.index_name,
			ignored,
		)
