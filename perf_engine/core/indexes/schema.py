"""Schema evidence: filter columns of DocType tables that no index covers as a left prefix.

Candidates are the usual filter fields (customer, supplier, company, posting_date, status,
item_code, warehouse), Link and Date fields, status-like Select fields, standard filters,
search fields and the sort field, as the Frappe layer reads them from DocType meta
(Custom Fields and Property Setters included). Known ERPNext composites are added when
their tables exist.
"""

from dataclasses import dataclass, field

from perf_engine.core.indexes.catalog import Index, TableSize, covered
from perf_engine.core.indexes.recommendation import ADD, LOW, Recommendation, priority_for

USUAL_COLUMNS = ("customer", "supplier", "company", "posting_date", "status", "item_code", "warehouse")
KNOWN_COMPOSITES = {
	"tabSales Invoice": (("customer", "posting_date"), ("company", "status"), ("posting_date",), ("status",)),
	"tabPurchase Invoice": (("supplier", "posting_date"), ("company", "status"), ("posting_date",)),
	"tabStock Ledger Entry": (
		("item_code", "warehouse", "posting_date"),
		("voucher_type", "voucher_no"),
		("posting_date",),
	),
}
FIELD_TYPES = {"Link": "Link field", "Date": "Date field", "Datetime": "Datetime field"}


@dataclass
class DocTypeMeta:
	"""The parts of a DocType's meta that say what people filter and sort by."""

	doctype: str
	# fieldname, fieldtype, options, in_standard_filter, search_index, unique, and set_by:
	# {"search_index" | "unique": the DocField, Custom Field or Property Setter that set it}
	fields: list[dict] = field(default_factory=list)
	search_fields: list[str] = field(default_factory=list)
	sort_field: str | None = None
	istable: bool = False
	declared_indexes: list[tuple[str, str]] = field(default_factory=list)  # name, code that adds it

	@property
	def table(self) -> str:
		return f"tab{self.doctype}"


def candidates(meta: DocTypeMeta) -> dict[str, str]:
	"""Column -> why it is a filter candidate."""
	found: dict[str, str] = {}
	names = {f["fieldname"] for f in meta.fields}
	for column in USUAL_COLUMNS:
		if column in names:
			found.setdefault(column, "commonly filtered field")
	for f in meta.fields:
		name, fieldtype = f["fieldname"], f.get("fieldtype")
		if fieldtype in FIELD_TYPES:
			found.setdefault(name, FIELD_TYPES[fieldtype])
		elif fieldtype == "Select" and "status" in name:
			found.setdefault(name, "status-like Select field")
		if f.get("in_standard_filter"):
			found.setdefault(name, "standard filter")
	for name in meta.search_fields:
		if name in names:
			found.setdefault(name, "search field")
	if meta.sort_field and meta.sort_field in names:
		found.setdefault(meta.sort_field, "sort field")
	return found


def schema_findings(
	metas: list[DocTypeMeta], sizes: dict[str, TableSize], indexes: dict[str, list[Index]]
) -> tuple[list[Recommendation], list[str]]:
	"""Uncovered candidates on tables worth indexing; and the tables skipped as too small."""
	findings, small = [], []
	for meta in metas:
		size = sizes.get(meta.table)
		if size is None or meta.istable:
			continue
		priority = priority_for(size.rows)
		if priority == LOW:
			small.append(meta.table)
			continue
		for column, reason in candidates(meta).items():
			if not covered((column,), indexes.get(meta.table, [])):
				findings.append(
					Recommendation(
						meta.table,
						(column,),
						ADD,
						priority,
						f"{reason}, not covered by any index",
						size.rows,
						"schema",
						evidence={"doctype": meta.doctype},
						engine=size.engine,
					)
				)
	return findings, small


def known_findings(sizes: dict[str, TableSize], indexes: dict[str, list[Index]]) -> list[Recommendation]:
	"""ERPNext's well-known composites, where those tables exist and the index does not."""
	findings = []
	for table, composites in KNOWN_COMPOSITES.items():
		size = sizes.get(table)
		if size is None or priority_for(size.rows) == LOW:
			continue
		priority = priority_for(size.rows)
		for columns in composites:
			if not covered(columns, indexes.get(table, [])):
				findings.append(
					Recommendation(
						table,
						columns,
						ADD,
						priority,
						"known ERPNext access path",
						size.rows,
						"known",
						evidence={"doctype": table[3:]},
						engine=size.engine,
					)
				)
	return findings
