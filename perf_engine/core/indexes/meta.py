"""DocType meta read straight from a Frappe database, for the CLI (no Frappe needed).

Inside a bench the Frappe layer uses frappe.get_meta instead (and also reads the indexes
controllers add in `on_doctype_update`); here DocFields, Custom Fields and the Property
Setters that change search_index, unique or sort_field are read as stored.
"""

import pymysql

from perf_engine.core.indexes.managed import CUSTOM_FIELD, DOCFIELD, PROPERTY_SETTER
from perf_engine.core.indexes.schema import DocTypeMeta

FIELDS_SQL = f"""
	SELECT parent, fieldname, fieldtype, options, in_standard_filter, search_index, `unique`, '{DOCFIELD}'
	FROM `tabDocField` WHERE IFNULL(fieldname, '') != ''
	UNION ALL
	SELECT dt, fieldname, fieldtype, options, in_standard_filter, search_index, `unique`, '{CUSTOM_FIELD}'
	FROM `tabCustom Field` WHERE IFNULL(fieldname, '') != ''
"""
DOCTYPES_SQL = "SELECT name, search_fields, sort_field, istable FROM `tabDocType` WHERE issingle = 0"
PROPERTY_SETTERS_SQL = """
	SELECT doc_type, IFNULL(field_name, ''), property, value FROM `tabProperty Setter`
	WHERE property IN ('search_index', 'unique', 'sort_field')
"""
FIELD_FLAGS = ("search_index", "unique")


def metas_from_database(conn: pymysql.Connection) -> list[DocTypeMeta]:
	with conn.cursor() as cur:
		cur.execute(DOCTYPES_SQL)
		doctypes = {
			name: DocTypeMeta(
				name, [], [s.strip() for s in (search or "").split(",") if s.strip()], sort, bool(istable)
			)
			for name, search, sort, istable in cur.fetchall()
		}
		cur.execute(FIELDS_SQL)
		fields = cur.fetchall()
		cur.execute(PROPERTY_SETTERS_SQL)
		setters = {(doctype, field, prop): value for doctype, field, prop, value in cur.fetchall()}
	for parent, fieldname, fieldtype, options, standard, search_index, unique, set_by in fields:
		if parent not in doctypes:
			continue
		field = {
			"fieldname": fieldname,
			"fieldtype": fieldtype,
			"options": options,
			"in_standard_filter": standard,
			"search_index": search_index,
			"unique": unique,
			"set_by": dict.fromkeys(FIELD_FLAGS, set_by),
		}
		for flag in FIELD_FLAGS:
			if (parent, fieldname, flag) in setters:
				field[flag] = int(setters[(parent, fieldname, flag)] or 0)
				field["set_by"][flag] = PROPERTY_SETTER
		doctypes[parent].fields.append(field)
	for (doctype, _, prop), value in setters.items():
		if prop == "sort_field" and doctype in doctypes:
			doctypes[doctype].sort_field = value
	return list(doctypes.values())
