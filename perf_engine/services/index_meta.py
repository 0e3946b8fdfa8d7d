"""DocType meta for the index analysis, read through frappe.get_meta.

For each table DocType: the fields people filter and sort by, which fields carry
search_index or unique and which record set it (DocField, Custom Field or Property
Setter), whether it is a child table, and the indexes its controller's
`on_doctype_update` adds by name. The last are read from the source with `ast` (the
literal arguments of `frappe.db.add_index` / `add_unique` calls), never by running it.
"""

import ast
import inspect
import logging
import textwrap

import frappe
from frappe.modules import load_doctype_module

from perf_engine.core.indexes.managed import CUSTOM_FIELD, DOCFIELD, PROPERTY_SETTER
from perf_engine.core.indexes.meta import FIELD_FLAGS
from perf_engine.core.indexes.schema import DocTypeMeta

logger = logging.getLogger(__name__)

ADDERS = {
	"add_index": ("doctype", "fields", "index_name"),
	"add_unique": ("doctype", "fields", "constraint_name"),
}


def doctype_metas(doctype: str | None = None) -> list[DocTypeMeta]:
	"""Index-relevant meta of every DocType with a table (or of one), Property Setters applied."""
	names = (
		[doctype]
		if doctype
		else frappe.get_all("DocType", filters={"issingle": 0, "is_virtual": 0}, pluck="name")
	)
	setters = {
		(s.doc_type, s.field_name, s.property)
		for s in frappe.get_all(
			"Property Setter",
			filters={"property": ("in", FIELD_FLAGS), "doctype_or_field": "DocField"},
			fields=["doc_type", "field_name", "property"],
		)
	}
	return [doctype_meta(name, setters) for name in names]


def doctype_meta(name: str, setters: set[tuple[str, str, str]]) -> DocTypeMeta:
	meta = frappe.get_meta(name)
	fields = []
	for f in meta.fields:
		if not f.fieldname:
			continue
		own = CUSTOM_FIELD if getattr(f, "is_custom_field", False) else DOCFIELD
		fields.append(
			{
				"fieldname": f.fieldname,
				"fieldtype": f.fieldtype,
				"options": f.options,
				"in_standard_filter": f.in_standard_filter,
				"search_index": f.search_index,
				"unique": f.unique,
				"set_by": {
					flag: PROPERTY_SETTER if (name, f.fieldname, flag) in setters else own
					for flag in FIELD_FLAGS
				},
			}
		)
	search = [s.strip() for s in (meta.search_fields or "").split(",") if s.strip()]
	return DocTypeMeta(
		name,
		fields,
		search,
		meta.sort_field,
		bool(meta.istable),
		declared_indexes(name, meta.module, meta.custom),
	)


def declared_indexes(doctype: str, module: str, custom: bool) -> list[tuple[str, str]]:
	"""(index name, owner) for each literal add_index/add_unique on this DocType in on_doctype_update."""
	if custom:
		return []
	try:
		hook = getattr(load_doctype_module(doctype, module), "on_doctype_update", None)
		source = textwrap.dedent(inspect.getsource(hook)) if hook else ""
	except (ImportError, OSError, TypeError) as exc:
		logger.info("cannot read on_doctype_update of %s: %s", doctype, exc)
		return []
	if not source:
		return []
	owner = f"{hook.__module__}.on_doctype_update"
	found = []
	for call in ast.walk(ast.parse(source)):
		if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
			continue
		names = ADDERS.get(call.func.attr)
		arguments = literal_arguments(call, names) if names else None
		if arguments and arguments.get("doctype") == doctype and arguments.get("fields"):
			found.append((index_name_of(call.func.attr, arguments), f"{owner} (frappe.db.{call.func.attr})"))
	return found


def literal_arguments(call: ast.Call, names: tuple[str, ...]) -> dict | None:
	"""The call's arguments by name, when all are literals; None when any is computed."""
	try:
		values = {name: ast.literal_eval(arg) for name, arg in zip(names, call.args, strict=False)}
		values |= {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg in names}
	except ValueError:
		return None
	return values


def index_name_of(adder: str, arguments: dict) -> str:
	"""The name Frappe gives the index, as `add_index` and `add_unique` compute it."""
	fields = [arguments["fields"]] if isinstance(arguments["fields"], str) else list(arguments["fields"])
	if adder == "add_unique":
		return arguments.get("constraint_name") or "unique_" + "_".join(fields)
	return arguments.get("index_name") or frappe.db.get_index_name(fields)
