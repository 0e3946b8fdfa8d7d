"""DocType meta read straight from a Frappe database, for the CLI (no Frappe needed).

Inside a bench the Frappe layer uses frappe.get_meta instead, which also applies Property
Setters; here Link/Date/Select fields, standard filters and Custom Fields are read as stored.
"""

import pymysql

from perf_engine.core.indexes.schema import DocTypeMeta

FIELDS_SQL = """
	SELECT parent, fieldname, fieldtype, options, in_standard_filter FROM `tabDocField` WHERE IFNULL(fieldname, '') != ''
	UNION ALL
	SELECT dt, fieldname, fieldtype, options, in_standard_filter FROM `tabCustom Field` WHERE IFNULL(fieldname, '') != ''
"""
DOCTYPES_SQL = "SELECT name, search_fields, sort_field FROM `tabDocType` WHERE istable = 0 AND issingle = 0"


def metas_from_database(conn: pymysql.Connection) -> list[DocTypeMeta]:
	with conn.cursor() as cur:
		cur.execute(DOCTYPES_SQL)
		doctypes = {
			name: DocTypeMeta(name, [], [s.strip() for s in (search or "").split(",") if s.strip()], sort)
			for name, search, sort in cur.fetchall()
		}
		cur.execute(FIELDS_SQL)
		for parent, fieldname, fieldtype, options, standard in cur.fetchall():
			if parent in doctypes:
				doctypes[parent].fields.append(
					{
						"fieldname": fieldname,
						"fieldtype": fieldtype,
						"options": options,
						"in_standard_filter": standard,
					}
				)
	return list(doctypes.values())
