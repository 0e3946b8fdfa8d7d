"""Large-dataset queries for apps: keyset streaming, batch processing, EXPLAIN of list queries, a guard.

`stream` pages through a DocType with `frappe.get_list` plus a keyset condition (the core's
`keyset`), so user permissions, permission query conditions and field-level permissions apply
as they do to any list; `ignore_permissions=True` is the trusted jobs' opt-out. A child table's
rows are permitted through their parent: pass `parent_doctype`, and only rows of parents the user
may read are streamed. Nothing here commits. `explain_list` and the guarded `get_list` EXPLAIN the
SQL `frappe.get_list(..., run=False)` builds, never running it, and judge it with the core's
`list_guard` against the table's volume tier.
"""

import logging
from collections.abc import Callable, Iterator
from typing import Any

import frappe
import redis
from frappe import _
from frappe.utils import make_filter_tuple

from perf_engine.core.capacity.volume_tiers import above_large, table_rows
from perf_engine.core.errors import BatchFailed
from perf_engine.core.indexes import plan as query_plan
from perf_engine.core.indexes.recommendation import ADD, index_name
from perf_engine.core.indexes.recommendation import key as recommendation_key
from perf_engine.core.query import keyset, list_guard
from perf_engine.core.ratelimit import RateLimitedLog
from perf_engine.services import bridge, settings

logger = logging.getLogger(__name__)
warned = RateLimitedLog(logger)
RECOMMENDATION = "Index Recommendation"
DEFAULT_BATCH_SIZE = 1000
RESULT_SHAPING = ("pluck", "with_comment_count", "save_user_settings", "save_user_settings_fields", "as_list")


class ListGuardError(frappe.ValidationError):
	"""A list query the guard refused: the message names the table, its tier, the plan and the fix."""


def stream(
	doctype: str,
	filters: dict | list | None = None,
	fields: list[str] | None = None,
	batch_size: int = DEFAULT_BATCH_SIZE,
	order_by: str | None = None,
	ignore_permissions: bool = False,
	parent_doctype: str | None = None,
	resume_after: str | None = None,
) -> Iterator[list[dict]]:
	"""Batches of rows in keyset order (`order_by` then `name`); each row carries `name` and the order field."""
	query = KeysetQuery(doctype, filters, fields, batch_size, order_by, ignore_permissions, parent_doctype)
	return query.batches(resumed(resume_after))


def resumed(resume_after: str | None) -> keyset.Cursor | None:
	"""The cursor a BatchFailed named, read back; None starts from the beginning."""
	with bridge.core_errors():
		return keyset.Cursor.from_token(resume_after) if resume_after else None


class KeysetQuery:
	"""One stream's checked arguments, and the get_list call that reads the page after a cursor."""

	def __init__(self, doctype, filters, fields, batch_size, order_by, ignore_permissions, parent_doctype):
		meta = frappe.get_meta(doctype)
		if meta.issingle or meta.is_virtual:
			frappe.throw(_("{0} has no table of rows to stream").format(doctype), frappe.ValidationError)
		self.doctype, self.table = doctype, f"tab{doctype}"
		columns = set(frappe.db.get_table_columns(doctype))
		with bridge.core_errors():
			self.batch_size = keyset.check_batch_size(batch_size)
			self.order = keyset.parse_order(order_by, columns)
		self.fields = checked_fields(fields, columns, self.order)
		self.filters = listed_filters(doctype, filters)
		self.ignore_permissions = ignore_permissions
		self.conditions: list[str] = []  # SQL of our own, never the caller's
		if meta.istable and not ignore_permissions:
			self.conditions += parent_permission(doctype, parent_doctype)
			self.ignore_permissions = True  # the parent's conditions above are the permission
		elif not ignore_permissions:
			# get_list would refuse at the first batch; refusing at the call keeps errors where they belong
			ptype = "select" if frappe.only_has_select_perm(doctype) else "read"  # as get_list decides
			frappe.has_permission(doctype, ptype, throw=True)

	def quote(self, column: str) -> str:
		return f"`{self.table}`.{keyset.quote_identifier(column)}"

	def page(self, after: keyset.Cursor | None) -> list[dict]:
		conditions = list(self.conditions)
		if after is None:
			conditions.append(keyset.first_condition(self.order, self.table, self.quote))
		else:
			conditions.append(keyset.after_condition(self.order, after, self.quote, literal))
		conditions = [c for c in conditions if c]
		# One SQL text, last: get_list swaps fields and filters when a filter list starts with text.
		own = [" and ".join(conditions)] if conditions else []
		return frappe.get_list(
			self.doctype,
			fields=self.fields,
			filters=self.filters + own,
			order_by=keyset.order_clause(self.order, self.quote),
			limit=self.batch_size,
			ignore_permissions=self.ignore_permissions,
		)

	def batches(self, after: keyset.Cursor | None) -> Iterator[list[dict]]:
		while rows := self.page(after):
			yield rows
			if len(rows) < self.batch_size:
				return
			with bridge.core_errors():
				after = keyset.next_cursor(rows[-1], self.order, after)


def literal(value: Any) -> str:
	"""A quoted SQL literal: dates, times, decimals and numbers compare as their text, as Frappe's filters do."""
	return frappe.db.escape(str(keyset.portable(value)), percent=False)


def checked_fields(fields: list[str] | None, columns: set[str], order: keyset.Order) -> list[str]:
	"""The table's own columns only (or `*`), plus what the cursor needs."""
	wanted = list(fields or [])
	if wanted == ["*"]:
		return ["*"]
	unknown = [f for f in wanted if f not in columns]
	if unknown:
		frappe.throw(
			_("Cannot stream {0}: a stream reads the DocType's own columns by name").format(
				", ".join(unknown)
			),
			frappe.ValidationError,
		)
	return list(dict.fromkeys([*wanted, *order.columns]))


def listed_filters(doctype: str, filters: dict | list | None) -> list:
	"""Filters as Frappe's list form, so the keyset condition can be added; raw SQL text is refused."""
	if isinstance(filters, dict):
		return [make_filter_tuple(doctype, key, value) for key, value in filters.items()]
	listed = list(filters or [])
	if any(isinstance(f, str) for f in listed):
		frappe.throw(_("Filters must be lists or a dict, not SQL text"), frappe.ValidationError)
	# A filter on a child table joins it: a parent would come once per matching child row.
	if any(len(f) == 4 and f[0] != doctype for f in listed if isinstance(f, list | tuple)):
		frappe.throw(
			_("A stream filters on {0}'s own fields; to walk child rows, stream the child table").format(
				doctype
			),
			frappe.ValidationError,
		)
	return listed


def parent_permission(doctype: str, parent_doctype: str | None) -> list[str]:
	"""Conditions keeping a child table's rows to parents the user may read, as `frappe.get_list` of the
	parent decides (role, user permissions, permission query conditions, sharing)."""
	parents = {
		df.parent for df in frappe.get_all("DocField", {"options": doctype, "fieldtype": "Table"}, ["parent"])
	}
	parents |= {
		df.dt for df in frappe.get_all("Custom Field", {"options": doctype, "fieldtype": "Table"}, ["dt"])
	}
	if not parent_doctype or parent_doctype not in parents:
		frappe.throw(
			_(
				"{0} is a child table: pass parent_doctype (one of {1}) so rows are permitted through their "
				"parent, or ignore_permissions=True in a trusted job"
			).format(doctype, ", ".join(sorted(parents)) or _("none")),
			frappe.ValidationError,
		)
	readable = frappe.get_list(parent_doctype, fields=["name"], order_by="", run=False)
	return [
		f"`tab{doctype}`.`parenttype` = {literal(parent_doctype)}",
		f"`tab{doctype}`.`parent` in ({readable})",
	]


def process_in_batches(
	doctype: str,
	fn: Callable[[list[dict]], Any],
	filters: dict | list | None = None,
	fields: list[str] | None = None,
	batch_size: int = DEFAULT_BATCH_SIZE,
	order_by: str | None = None,
	ignore_permissions: bool = False,
	parent_doctype: str | None = None,
	resume_after: str | None = None,
	title: str | None = None,
) -> dict:
	"""Run `fn(batch)` on each batch with a progress bar; a failure raises BatchFailed with the cursor to resume from."""
	query = KeysetQuery(doctype, filters, fields, batch_size, order_by, ignore_permissions, parent_doctype)
	estimate = table_rows(bridge.db_connection(), frappe.conf.db_name, query.table) or 0
	show = bridge.progress(title or _("Processing {0}").format(doctype))
	after = resumed(resume_after)
	done = batches = 0
	for batch in query.batches(after):
		try:
			fn(batch)
		except Exception as exc:
			raise BatchFailed(doctype, after.token() if after else None, done, exc) from exc
		after = keyset.cursor_after(batch[-1], query.order)
		done, batches = done + len(batch), batches + 1
		show(min(done, max(estimate - 1, 0)), max(estimate, 1))
	show(1, 1)
	return {"rows": done, "batches": batches, "last_cursor": after.token() if after else None}


def explain_list(
	doctype: str,
	filters: dict | list | None = None,
	fields: list[str] | None = None,
	order_by: str | None = None,
	limit: int | None = None,
	**kwargs,
) -> dict:
	"""How MariaDB would run this `frappe.get_list` (plain EXPLAIN, never run) and what would make it cheap."""
	args = {"filters": filters, "fields": fields, "limit": limit, **kwargs}
	if order_by is not None:
		args["order_by"] = order_by
	return explained(doctype, args)[0]


def explained(doctype: str, args: dict) -> tuple[dict, list_guard.Verdict]:
	"""The plan, table size and verdict for `frappe.get_list(doctype, **args)` as the current user."""
	sql = frappe.get_list(doctype, **sql_only(args))
	if not isinstance(sql, str):  # a virtual DocType, or no field the user may read: no SQL to explain
		frappe.throw(_("{0} builds no SQL query for these arguments").format(doctype), frappe.ValidationError)
	conn, database, table = bridge.db_connection(), frappe.conf.db_name, f"tab{doctype}"
	plan = query_plan.read_plan(query_plan.explain(conn, sql))
	rows = table_rows(conn, database, table) or 0
	suggested, covering = list_guard.suggest_index(conn, database, table, sql)
	recommendation = matching_recommendation(table, suggested) if suggested and not covering else None
	verdict = list_guard.judge(
		table,
		rows,
		plan,
		sql,
		all_fields="*" in (args.get("fields") or []),
		index_fix=index_fix(suggested, covering, recommendation),
	)
	access = plan.of(table)
	return {
		"doctype": doctype,
		"table": table,
		"sql": sql,
		"table_rows": rows,
		"tier": verdict.tier,
		"guarded": verdict.guarded,
		"index": access.key if access else None,
		"full_scan": bool(access and access.full_scan),
		"filesort": plan.filesort,
		"rows_examined": plan.rows_examined,
		"rows_read": verdict.rows_read,
		"plan": [a.as_dict() for a in plan.accesses],
		"suggested_index": list(suggested),
		"covered_by": covering or None,
		"recommendation": recommendation,
		"problems": verdict.problems,
		"fixes": verdict.fixes,
		"ok": verdict.ok,
		"message": "" if verdict.ok else verdict.message(),
	}, verdict


def sql_only(args: dict) -> dict:
	"""get_list's arguments for building its SQL: what only reshapes the result (pluck, comment counts,
	user settings) would run on the SQL text itself, so it goes; a plucked field becomes the field list."""
	built = {k: v for k, v in args.items() if k not in RESULT_SHAPING}
	if args.get("pluck") and not args.get("fields"):
		built["fields"] = [args["pluck"]]
	return {**built, "run": False}


def matching_recommendation(table: str, columns: tuple[str, ...]) -> dict | None:
	"""The open Index Recommendation for exactly these columns (by its key), else one led by the same column."""
	fields = ["name", "columns", "status", "ddl"]
	exact = frappe.db.get_value(
		RECOMMENDATION, recommendation_key(table, columns, ADD, index_name(columns)), fields, as_dict=True
	)
	if exact and exact.status == "Open":
		return exact
	for found in frappe.get_all(
		RECOMMENDATION, {"table_name": table, "kind": ADD, "status": "Open"}, fields, order_by="name"
	):
		if found.columns.split(",")[0].strip() == columns[0]:
			return found
	return None


def index_fix(suggested: tuple[str, ...], covering: str, recommendation: dict | None) -> str:
	"""The sentence naming the index to add, and the recommendation that does it."""
	if not suggested or covering:
		return ""
	wanted = f"an index on ({', '.join(suggested)})"
	if recommendation:
		return (
			f"apply Index Recommendation {recommendation.name} ({recommendation.columns}), "
			f"which adds the index this query needs, {wanted}"
		)
	return f"add {wanted}: run the index analysis to get it as an Index Recommendation you can apply online"


def get_list(doctype: str, *args, **kwargs) -> list:
	"""`frappe.get_list`, except that an unbounded or full-scan query on a table past the Large tier is
	refused (or logged, per `list_guard_mode`) with a message that names the fix."""
	mode = settings.get().list_guard_mode
	if mode == list_guard.OFF or not past_large(doctype):
		return frappe.get_list(doctype, *args, **kwargs)
	found, verdict = explained(doctype, frappe_args(args, kwargs))
	if not verdict.ok:
		keep_as_evidence(found["sql"], found["rows_examined"])
		if mode == list_guard.REFUSE:
			frappe.throw(verdict.message(), ListGuardError, title=_("List query refused"))
		warned.warning("%s", verdict.message(refused=False))
	return frappe.get_list(doctype, *args, **kwargs)


def keep_as_evidence(sql: str, rows_examined: int) -> None:
	"""The index analysis reads what the guard stopped; losing one to a Redis outage never stops the answer."""
	try:
		list_guard.record_evidence(bridge.cache_redis(), bridge.cache_prefix(), sql, rows_examined)
	except redis.exceptions.RedisError:
		logger.exception("could not keep a guarded list query as index evidence")


def guard_evidence() -> list:
	"""The list guard's stopped queries as workload statements for the index analysis."""
	try:
		return list_guard.evidence(bridge.cache_redis(), bridge.cache_prefix())
	except redis.exceptions.RedisError:
		logger.exception("could not read the list guard's evidence")
		return []


def past_large(doctype: str) -> bool:
	"""Whether the DocType's table is guarded at all: one information_schema lookup, no EXPLAIN."""
	rows = table_rows(bridge.db_connection(), frappe.conf.db_name, f"tab{doctype}")
	return rows is not None and above_large(rows)


FRAPPE_POSITIONAL = (
	"fields",
	"filters",
	"or_filters",
	"docstatus",
	"group_by",
	"order_by",
	"limit_start",
	"limit_page_length",
)


def frappe_args(args: tuple, kwargs: dict) -> dict:
	"""`frappe.get_list`'s positional arguments by name, so the same query can be built with run=False."""
	return {**dict(zip(FRAPPE_POSITIONAL, args, strict=False)), **kwargs}
