"""Large test DocTypes for the streaming and list-guard tests, built with INSERT ... SELECT and removed after.

`PE Stream Row` (120,000 rows, a nullable indexed date with ties, a Link to `PE Stream Group`)
with its child table `PE Stream Item` (3 rows for each of the first 20,000 parents), and
`PE Guard Row` (700,000 rows, past the Large tier, nothing indexed but the name), and `PE Guard
ToDo` (600,000 ToDo-like rows: `modified` spread over 15 months and indexed as Frappe indexes it on
every table, `allocated_to` indexed, status and priority not). They are custom DocTypes, so nothing
is written to the app's files; a reader role and a user with a User Permission on one group
exercise permission filtering.
"""

import frappe
import pymysql

from perf_engine.tests.rest import ensure_user

GROUP, ROW, ITEM, GUARD, TODO = (
	"PE Stream Group",
	"PE Stream Row",
	"PE Stream Item",
	"PE Guard Row",
	"PE Guard ToDo",
)
READER_ROLE = "PE Stream Reader"
READER = "pe-stream-reader@example.com"
ALLOWED_GROUP = "G-3"
GROUPS = 10
STREAM_ROWS = 120_000
PARENTS_WITH_ITEMS = 20_000
ITEMS_PER_PARENT = 3
GUARD_ROWS = 700_000
TODO_ROWS = 600_000
TODO_USERS = 50
# InnoDB samples 20 pages for its estimate; every page is sampled so the guard sees the real size.
EXACT_ROW_ESTIMATE = "STATS_SAMPLE_PAGES=65535"
STANDARD = "NOW(6), NOW(6), 'Administrator', 'Administrator', 0, 0"
STANDARD_COLUMNS = "name, creation, modified, owner, modified_by, docstatus, idx"


def doctype(name: str, fields: list[dict], istable: int = 0, readers: tuple[str, ...] = ()) -> None:
	"""A custom DocType (committed: its table is DDL) with read for the given roles besides System Manager."""
	if frappe.db.exists("DocType", name):
		return
	permissions = [] if istable else [{"role": "System Manager", "read": 1, "write": 1, "create": 1}]
	permissions += [{"role": role, "read": 1} for role in readers]
	frappe.get_doc(
		{
			"doctype": "DocType",
			"name": name,
			"module": "Perf Engine",
			"custom": 1,
			"istable": istable,
			"autoname": "hash",
			"fields": fields,
			"permissions": permissions,
		}
	).insert(ignore_permissions=True)
	frappe.db.commit()


def fill(table: str, columns: str, select: str, rows: int) -> None:
	frappe.db.sql(
		f"INSERT INTO `tab{table}` ({STANDARD_COLUMNS}, {columns}) SELECT {select} FROM seq_1_to_{rows}"
	)


def build_stream_tables() -> None:
	"""The group, row and item DocTypes with their rows, the reader role, user and User Permission."""
	if not frappe.db.exists("Role", READER_ROLE):
		frappe.get_doc({"doctype": "Role", "role_name": READER_ROLE}).insert(ignore_permissions=True)
	doctype(GROUP, [{"fieldname": "title", "fieldtype": "Data", "label": "Title"}], readers=(READER_ROLE,))
	doctype(
		ITEM,
		[
			{"fieldname": "item_code", "fieldtype": "Data", "label": "Item"},
			{"fieldname": "qty", "fieldtype": "Int", "label": "Qty"},
		],
		istable=1,
	)
	doctype(
		ROW,
		[
			{"fieldname": "group", "fieldtype": "Link", "options": GROUP, "label": "Group"},
			{"fieldname": "posted", "fieldtype": "Date", "label": "Posted", "search_index": 1},
			{"fieldname": "title", "fieldtype": "Data", "label": "Title"},
			{"fieldname": "items", "fieldtype": "Table", "options": ITEM, "label": "Items"},
		],
		readers=(READER_ROLE,),
	)
	for table in (GROUP, ROW, ITEM):
		frappe.db.sql(f"DELETE FROM `tab{table}`")
	fill(GROUP, "title", f"CONCAT('G-', seq - 1), {STANDARD}, CONCAT('Group ', seq)", GROUPS)
	fill(
		ROW,
		"`group`, posted, title",
		f"""CONCAT('PSR-', LPAD(seq, 7, '0')), {STANDARD}, CONCAT('G-', seq % {GROUPS}),
		IF(seq % 9 = 0, NULL, '2024-01-01' + INTERVAL seq % 700 DAY), CONCAT('row ', seq)""",
		STREAM_ROWS,
	)
	fill(
		ITEM,
		"parent, parenttype, parentfield, item_code, qty",
		f"""CONCAT('PSI-', LPAD(seq, 7, '0')), {STANDARD},
		CONCAT('PSR-', LPAD(1 + (seq - 1) DIV {ITEMS_PER_PARENT}, 7, '0')), '{ROW}', 'items',
		CONCAT('ITEM-', seq % 50), seq % 7""",
		PARENTS_WITH_ITEMS * ITEMS_PER_PARENT,
	)
	ensure_user(READER, (READER_ROLE,))
	if not frappe.db.exists("User Permission", {"user": READER, "allow": GROUP}):
		frappe.get_doc(
			{"doctype": "User Permission", "user": READER, "allow": GROUP, "for_value": ALLOWED_GROUP}
		).insert(ignore_permissions=True)
	frappe.db.commit()


def build_guard_table() -> None:
	"""700,000 invoices-like rows, analysed with every page sampled so the estimate is the real size."""
	doctype(
		GUARD,
		[
			{"fieldname": "customer", "fieldtype": "Data", "label": "Customer"},
			{"fieldname": "posting_date", "fieldtype": "Date", "label": "Posting Date"},
			{"fieldname": "status", "fieldtype": "Data", "label": "Status"},
		],
	)
	if not frappe.db.sql(f"SELECT 1 FROM `tab{GUARD}` LIMIT 1"):
		fill(
			GUARD,
			"customer, posting_date, status",
			f"""CONCAT('PGR-', LPAD(seq, 7, '0')), {STANDARD}, CONCAT('C-', seq % 5000),
			'2020-01-01' + INTERVAL seq % 2000 DAY, ELT(1 + seq % 4, 'Paid', 'Unpaid', 'Draft', 'Return')""",
			GUARD_ROWS,
		)
		frappe.db.commit()
		frappe.db.sql_ddl(f"ALTER TABLE `tab{GUARD}` {EXACT_ROW_ESTIMATE}")
	frappe.db.sql(f"ANALYZE TABLE `tab{GUARD}`")


def build_todo_table() -> None:
	"""600,000 ToDo-like rows, a third of them Open, analysed with every page sampled."""
	doctype(
		TODO,
		[
			{
				"fieldname": "status",
				"fieldtype": "Select",
				"label": "Status",
				"options": "Open\nClosed\nCancelled",
			},
			{
				"fieldname": "priority",
				"fieldtype": "Select",
				"label": "Priority",
				"options": "High\nMedium\nLow",
			},
			{"fieldname": "allocated_to", "fieldtype": "Data", "label": "Allocated To", "search_index": 1},
			{"fieldname": "description", "fieldtype": "Small Text", "label": "Description"},
		],
	)
	if not frappe.db.sql(f"SELECT 1 FROM `tab{TODO}` LIMIT 1"):
		spread = "'2024-01-01' + INTERVAL (seq * 7919) % 40000000 SECOND"
		frappe.db.sql(
			f"""INSERT INTO `tab{TODO}` ({STANDARD_COLUMNS}, status, priority, allocated_to, description)
			SELECT CONCAT('PGT-', LPAD(seq, 7, '0')), {spread}, {spread}, 'Administrator', 'Administrator', 0, 0,
			ELT(1 + seq % 3, 'Open', 'Closed', 'Cancelled'), ELT(1 + seq % 3, 'High', 'Medium', 'Low'),
			CONCAT('user', seq % {TODO_USERS}, '@example.com'), CONCAT('to do ', seq)
			FROM seq_1_to_{TODO_ROWS}"""
		)
		frappe.db.commit()
		frappe.db.sql_ddl(f"ALTER TABLE `tab{TODO}` {EXACT_ROW_ESTIMATE}")
	frappe.db.sql(f"ANALYZE TABLE `tab{TODO}`")


def drop_all() -> None:
	"""Remove the test DocTypes with their tables, the user permission and the role; committed."""
	frappe.db.delete("User Permission", {"user": READER})
	for name in (ROW, ITEM, GROUP, GUARD, TODO):
		if frappe.db.exists("DocType", name):
			frappe.delete_doc("DocType", name, force=True, ignore_permissions=True)
	frappe.db.commit()
	# Deleting a DocType leaves its table (Frappe drops orphans only in `bench trim-tables`): these are
	# the tests' own, hundreds of thousands of rows each, so they go too.
	for name in (ROW, ITEM, GROUP, GUARD, TODO):
		frappe.db.sql_ddl(f"DROP TABLE IF EXISTS `tab{name}`")


def other_connection() -> pymysql.Connection:
	"""A second, autocommit connection to the site's database, as another process would have."""
	return pymysql.connect(
		host=frappe.conf.db_host or "127.0.0.1",
		port=int(frappe.conf.db_port or 3306),
		user=frappe.conf.db_user or frappe.conf.db_name,
		password=frappe.conf.db_password,
		database=frappe.conf.db_name,
		autocommit=True,
	)


def walk_groups() -> dict:
	"""`bench execute` target for the terminal progress test: every group, two a batch, nothing done."""
	from perf_engine.query import process_in_batches

	return process_in_batches(GROUP, lambda batch: None, batch_size=2, ignore_permissions=True)
