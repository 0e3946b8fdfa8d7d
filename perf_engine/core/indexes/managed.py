"""Indexes Frappe creates from DocType meta, who owns each, and what must change in meta to drop it.

Owners: a DocField, Custom Field or Property Setter with `search_index` or `unique` (a
single-column index on the field), the `parent` index of every child table, the
`modified` index of every other table, `creation` when it is the sort field, and indexes a
controller's `on_doctype_update` adds by name. A drop of such an index is not offered as
one click: Frappe would build it again, so the change belongs in meta.
"""

from dataclasses import dataclass

from perf_engine.core.indexes.catalog import FULLTEXT, Index
from perf_engine.core.indexes.schema import DocTypeMeta

DOCFIELD, CUSTOM_FIELD, PROPERTY_SETTER = "DocField", "Custom Field", "Property Setter"
FLAGS = {"search_index": "Index", "unique": "Unique"}


@dataclass(frozen=True)
class Owner:
	"""What in meta owns an index, and what would have to change there for a drop to stick."""

	owner: str
	change: str


def single_column(
	table_indexes: list[Index], column: str, unique: bool, preferred: tuple[str, ...]
) -> Index | None:
	"""The one-column index Frappe looks for on `column` (as `get_column_index` does), its own name first."""
	matches = [
		i
		for i in table_indexes
		if len(i.columns) == 1
		and i.columns[0].lower() == column.lower()
		and i.unique == unique
		and not i.primary
		and i.index_type != FULLTEXT
	]
	return min(matches, key=lambda i: (i.name not in preferred, i.name), default=None)


def field_owner(meta: DocTypeMeta, field: dict, flag: str) -> Owner:
	"""The record that set `search_index` or `unique` on a field, and how to unset it."""
	name, label = f"{meta.doctype}.{field['fieldname']}", FLAGS[flag]
	set_by = (field.get("set_by") or {}).get(flag, DOCFIELD)
	if set_by == PROPERTY_SETTER:
		return Owner(
			f"Property Setter {name} {flag} = 1",
			f"untick {label} on {name} in Customize Form (or delete that Property Setter): Frappe then drops the index itself",
		)
	where = "the Custom Field" if set_by == CUSTOM_FIELD else "Customize Form (a Property Setter)"
	return Owner(
		f"{set_by} {name} ({flag})",
		f"untick {label} on {name} in {where}: Frappe then drops the index itself; dropped here alone, "
		"it comes back when the DocType is next synced",
	)


def owners(meta: DocTypeMeta, table_indexes: list[Index]) -> dict[str, Owner]:
	"""Index name -> its owner in meta, for one DocType's table."""
	found: dict[str, Owner] = {}

	def claim(index: Index | None, owner: Owner) -> None:
		if index is not None:
			found.setdefault(index.name, owner)

	for field in meta.fields:
		column = field["fieldname"]
		if field.get("unique"):
			claim(single_column(table_indexes, column, True, (column,)), field_owner(meta, field, "unique"))
		elif field.get("search_index"):
			index = single_column(table_indexes, column, False, (column, f"{column}_index"))
			claim(index, field_owner(meta, field, "search_index"))
	if meta.istable:
		claim(
			single_column(table_indexes, "parent", False, ("parent",)),
			Owner(
				f"Frappe (every child table, {meta.doctype} included, has a parent index)",
				"nothing in meta removes it: Frappe reads child rows by parent, keep it",
			),
		)
	else:
		claim(
			single_column(table_indexes, "modified", False, ("modified",)),
			Owner(
				"Frappe (every DocType table has a modified index)",
				"nothing in meta removes it: list views sort by modified, keep it",
			),
		)
	if meta.sort_field == "creation":
		claim(
			single_column(table_indexes, "creation", False, ("creation",)),
			Owner(
				f"DocType {meta.doctype} sort_field = creation",
				f"sort {meta.doctype} by another field (Customize Form, Sort Field) and Frappe no longer needs it",
			),
		)
	by_name = {i.name: i for i in table_indexes}
	for name, owner in meta.declared_indexes:
		claim(
			by_name.get(name),
			Owner(
				owner,
				f"remove that call from the app's code: it adds {name} again whenever the DocType is synced",
			),
		)
	return found
