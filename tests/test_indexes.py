"""Index analysis against a real MariaDB: schema candidates, known composites, workload, ranking, unused indexes, the IGNORED trial."""

import pytest

from perf_engine.core.indexes import catalog, redundant, schema, server_variables, workload
from perf_engine.core.indexes.analysis import analyze
from perf_engine.core.indexes.recommendation import ADD, DROP, HIGH, MEDIUM
from tests.services import EXACT_ROW_ESTIMATE, connect_database

INVOICE = "tabSales Invoice"
INVOICE_META = schema.DocTypeMeta(
	"Sales Invoice",
	fields=[
		{"fieldname": "customer", "fieldtype": "Link", "options": "Customer"},
		{"fieldname": "company", "fieldtype": "Link", "options": "Company"},
		{"fieldname": "posting_date", "fieldtype": "Date"},
		{"fieldname": "status", "fieldtype": "Select"},
		{"fieldname": "remarks", "fieldtype": "Small Text"},
		{"fieldname": "po_no", "fieldtype": "Data", "in_standard_filter": 1},
	],
	search_fields=["remarks"],
)


def make_invoices(db, rows: int) -> None:
	"""A Sales Invoice table with realistic columns, a few indexes, and `rows` rows."""
	with db.cursor() as cur:
		cur.execute(
			f"""CREATE TABLE `{INVOICE}` (name VARCHAR(140) PRIMARY KEY, customer VARCHAR(140), company VARCHAR(140),
			posting_date DATE, status VARCHAR(30), remarks TEXT, po_no VARCHAR(140), docstatus INT,
			KEY customer (customer), KEY company_status (company, status)) {EXACT_ROW_ESTIMATE}"""
		)
		cur.execute(
			f"""INSERT INTO `{INVOICE}` SELECT CONCAT('SINV-', seq), CONCAT('C-', seq % 500), CONCAT('Co-', seq % 3),
			DATE_ADD('2024-01-01', INTERVAL seq % 700 DAY), ELT(1 + seq % 4, 'Paid', 'Unpaid', 'Overdue', 'Draft'), 'r', seq, 1
			FROM seq_1_to_{rows}"""
		)
		cur.execute(f"ANALYZE TABLE `{INVOICE}`")


def index_names(db, database_name, table=INVOICE) -> set[str]:
	return {i.name for i in catalog.indexes(db, database_name).get(table, [])}


def test_schema_candidates_skip_covered_left_prefixes(db, database_name):
	"""On a 120k-row table, posting_date, status and the standard filter are HIGH; company (a left prefix) is covered."""
	make_invoices(db, 120_000)
	sizes, indexes = catalog.table_sizes(db, database_name), catalog.indexes(db, database_name)
	findings, small = schema.schema_findings([INVOICE_META], sizes, indexes)
	columns = {f.columns[0]: f for f in findings}
	assert set(columns) == {"posting_date", "status", "po_no", "remarks"}
	assert columns["posting_date"].priority == HIGH and "commonly filtered" in columns["posting_date"].reason
	assert "standard filter" in columns["po_no"].reason and "search field" in columns["remarks"].reason
	assert small == []


def test_small_tables_are_said_to_be_not_worth_it(db, database_name):
	"""A 1,000-row table gives no findings and is listed as skipped."""
	make_invoices(db, 1000)
	findings, small = schema.schema_findings(
		[INVOICE_META], catalog.table_sizes(db, database_name), catalog.indexes(db, database_name)
	)
	assert findings == [] and small == [INVOICE]


def test_known_erpnext_composites(db, database_name):
	"""Sales Invoice gets (customer, posting_date) and posting_date but not the existing (company, status)."""
	make_invoices(db, 60_000)
	known = schema.known_findings(catalog.table_sizes(db, database_name), catalog.indexes(db, database_name))
	assert {f.columns for f in known} == {("customer", "posting_date"), ("posting_date",), ("status",)}
	assert {f.priority for f in known} == {MEDIUM}


def test_workload_from_the_slow_log_becomes_a_composite(db, database_name):
	"""Statements in the slow log map to (equality, range) composites checked with EXPLAIN; unread ones are named."""
	make_invoices(db, 60_000)
	with db.cursor() as cur:
		cur.execute("SELECT @@global.slow_query_log, @@global.log_output, @@global.long_query_time")
		saved = cur.fetchone()
		cur.execute("SET GLOBAL slow_query_log = 1, log_output = 'TABLE', long_query_time = 0")
	try:
		probe = connect_database(database_name)
		with probe.cursor() as cur:
			for _ in range(3):
				cur.execute(
					f"SELECT name FROM `{INVOICE}` WHERE company = 'Co-1' AND status = 'Paid' AND posting_date > '2025-06-01'"
				)
				cur.execute(f"SELECT name FROM `{INVOICE}` WHERE po_no = '77'")
			cur.execute(f"SELECT name FROM `{INVOICE}` WHERE po_no = '78' PROCEDURE ANALYSE()")
		probe.close()
		sizes, indexes = catalog.table_sizes(db, database_name), catalog.indexes(db, database_name)
		findings, note, unread = workload.workload_findings(db, database_name, sizes, indexes)
	finally:
		with db.cursor() as cur:
			cur.execute("SET GLOBAL slow_query_log = %s, log_output = %s, long_query_time = %s", saved)
	by_columns = {f.columns: f for f in findings}
	assert note.startswith("Workload read from slow query log (table)")
	assert [(u["source"], u["reason"].split(":")[0]) for u in unread] == [
		("slow log (table)", "sqlglot could not parse it")
	], "the statement sqlglot cannot parse is named, not guessed"
	assert "PROCEDURE ANALYSE" in note and "1 statement(s) could not be read" in note
	composite = next(c for c in by_columns if c[:2] in (("company", "status"), ("status", "company")))
	assert composite[-1] == "posting_date", "range column after the equality columns"
	assert ("po_no",) in by_columns
	evidence = by_columns[composite].evidence
	assert "posting_date >" in evidence["statement"] and evidence["explain"][0]["table"] == INVOICE


def test_without_a_workload_source_the_analysis_says_how_to_turn_one_on(db, database_name):
	"""With performance_schema and the slow log off, the note says how to enable one."""
	with db.cursor() as cur:
		cur.execute("SELECT @@global.slow_query_log, @@global.performance_schema")
		slow, ps = cur.fetchone()
	if slow or ps:
		pytest.skip("a workload source is on in this server")
	result = analyze(db, database_name, [INVOICE_META])
	assert any("SET GLOBAL slow_query_log = 1" in note for note in result["notes"])
	assert result["unread_statements"] == []


def test_analysis_ranks_and_summarises(db, database_name):
	"""A full analysis lists largest tables, HIGH additions before drops, each finding with its DDL."""
	make_invoices(db, 120_000)
	with db.cursor() as cur:
		cur.execute(f"ALTER TABLE `{INVOICE}` ADD INDEX customer_again (customer)")
	steps = []
	result = analyze(
		db, database_name, [INVOICE_META], on_progress=lambda done, total: steps.append((done, total))
	)
	kinds = [f["kind"] for f in result["findings"]]
	assert kinds.index(DROP) > kinds.index(ADD)
	assert result["largest_tables"][0]["table"] == INVOICE
	drop = next(f for f in result["findings"] if f["kind"] == DROP)
	assert drop["ddl"].startswith(f"ALTER TABLE `{INVOICE}` DROP INDEX") and drop["ddl"].endswith("LOCK=NONE")
	assert steps[-1] == (5, 5)


def test_unused_indexes_from_userstat_state_their_window(db, database_name):
	"""With userstat on, an unused index is a drop candidate; a used one, or an unused sole-enforcer UNIQUE, is not."""
	make_invoices(db, 2000)
	with db.cursor() as cur:
		cur.execute(f"ALTER TABLE `{INVOICE}` ADD UNIQUE KEY po_unique (po_no)")
		cur.execute("SELECT @@global.userstat")
		saved = cur.fetchone()[0]
		cur.execute("SET GLOBAL userstat = 1")
	try:
		with db.cursor() as cur:
			cur.execute(f"SELECT name FROM `{INVOICE}` FORCE INDEX (customer) WHERE customer = 'C-7'")
			cur.fetchall()
		indexes = catalog.indexes(db, database_name)
		findings, note = redundant.unused_findings(db, database_name, indexes, {})
	finally:
		with db.cursor() as cur:
			cur.execute("SET GLOBAL userstat = %s", (saved,))
	unused = {f.index_name for f in findings}
	assert "company_status" in unused and "customer" not in unused and "PRIMARY" not in unused
	assert "po_unique" not in unused, "the only key keeping po_no unique is never proposed for dropping"
	assert (
		note.startswith("Usage from userstat INDEX_STATISTICS, over the")
		and "since the server started" in note
	)


def test_server_variables_the_analysis_needs_are_read_in_one_statement(db):
	"""One read gives the workload and usage switches exactly as the server reports each of them."""
	variables = server_variables.read(db)
	assert set(variables) == set(server_variables.WORKLOAD_AND_USAGE)
	with db.cursor() as cur:
		for name in server_variables.WORKLOAD_AND_USAGE:
			cur.execute("SHOW GLOBAL VARIABLES LIKE %s", (name,))
			assert variables[name] == cur.fetchone()[1]
