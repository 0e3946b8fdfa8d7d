"""Index analysis, redundancy and online apply against a real MariaDB."""

import pymysql
import pytest

from perf_engine.core.errors import InvalidInput
from perf_engine.core.indexes import apply, catalog, redundant, schema, workload
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


def test_redundant_indexes_follow_pt_duplicate_key_checker(db, database_name):
	"""Left prefixes and duplicates (PK suffix included) are dropped; PRIMARY and UNIQUE never are."""
	with db.cursor() as cur:
		cur.execute(
			"""CREATE TABLE tabProbe (name VARCHAR(140) PRIMARY KEY, x INT, y INT, z INT,
			KEY a (x), KEY b (x, y), KEY c (x), KEY d (y, name), KEY e (y), UNIQUE KEY u (x), KEY zed (z))"""
		)
	drops = {f.index_name: f for f in redundant.redundant_findings(catalog.indexes(db, database_name), {})}
	assert (
		{"a", "c"} <= set(drops)
		and "b" not in drops
		and "u" not in drops
		and "PRIMARY" not in drops
		and "zed" not in drops
	)
	assert len({"d", "e"} & set(drops)) == 1, "of two equal indexes exactly one goes"
	assert all(f.kind == DROP for f in drops.values())
	assert "left prefix of b" in drops["a"].reason


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


def test_apply_is_idempotent_and_online(db, database_name):
	"""Applying adds the index with ALGORITHM=INPLACE, LOCK=NONE; applying again reports it in place."""
	make_invoices(db, 5000)
	first = apply.apply(
		db, database_name, INVOICE, ("customer", "posting_date"), "customer_posting_date_index"
	)
	assert first.status == "Applied" and "LOCK=NONE" in first.message
	assert "customer_posting_date_index" in index_names(db, database_name)
	again = apply.apply(db, database_name, INVOICE, ("customer", "posting_date"), "other_name")
	assert (again.status, again.message) == ("Applied", "already in place as customer_posting_date_index")
	dropped = apply.apply(
		db, database_name, INVOICE, ("customer", "posting_date"), "customer_posting_date_index", kind=DROP
	)
	assert dropped.status == "Applied" and "customer_posting_date_index" not in index_names(db, database_name)


@pytest.mark.parametrize(
	("table", "columns", "message"),
	[
		("tabSales Invoice`; DROP TABLE `tabSales Invoice`; --", ("customer",), "No table"),
		(INVOICE, ("customer`); DROP TABLE `tabSales Invoice`; --",), "has no column"),
		(INVOICE, (), "has no column"),
	],
)
def test_injection_attempts_are_refused_and_nothing_runs(db, database_name, table, columns, message):
	"""Identifiers that are not real tables or columns are refused before any DDL is built."""
	make_invoices(db, 100)
	before = index_names(db, database_name)
	with pytest.raises(InvalidInput, match=message):
		apply.apply(db, database_name, table, columns, "x_index")
	assert index_names(db, database_name) == before
	assert INVOICE in catalog.table_sizes(db, database_name)


def test_blocked_ddl_times_out_reports_failed_and_does_not_hold_up_readers(db, database_name):
	"""An open transaction holding the table makes the DDL give up after its short wait; readers keep reading."""
	make_invoices(db, 1000)
	blocker = connect_database(database_name)
	blocker.autocommit(False)
	with blocker.cursor() as cur:
		cur.execute(f"SELECT COUNT(*) FROM `{INVOICE}`")
	try:
		result = apply.apply(
			db,
			database_name,
			INVOICE,
			("po_no",),
			"po_no_index",
			lock_wait_timeout_s=1,
			retries=1,
			retry_pause_s=0.1,
		)
		assert result.status == "Failed" and result.attempts == 2
		assert "Lock wait timeout" in result.message
		reader = connect_database(database_name)
		with reader.cursor() as cur:
			cur.execute(f"SELECT COUNT(*) FROM `{INVOICE}`")
			assert cur.fetchone()[0] == 1000
		reader.close()
		with blocker.cursor() as cur:
			cur.execute(f"UPDATE `{INVOICE}` SET remarks = 'held' WHERE name = 'SINV-1'")
		refused = apply.apply(
			db, database_name, INVOICE, ("po_no",), "po_no_index", retries=0, long_transaction_s=0
		)
		assert refused.status == "Failed" and "open longer than 0 s" in refused.message
	finally:
		blocker.rollback()
		blocker.close()
	assert "po_no_index" not in index_names(db, database_name)


def test_ignored_index_trial_is_reversible(db, database_name):
	"""An index can be made IGNORED and restored without being rebuilt; PRIMARY cannot."""
	make_invoices(db, 100)
	apply.set_ignored(db, database_name, INVOICE, "customer", True)
	with db.cursor(pymysql.cursors.DictCursor) as cur:
		cur.execute(f"SHOW INDEX FROM `{INVOICE}` WHERE Key_name = 'customer'")
		assert cur.fetchone()["Ignored"] == "YES"
	apply.set_ignored(db, database_name, INVOICE, "customer", False)
	with db.cursor(pymysql.cursors.DictCursor) as cur:
		cur.execute(f"SHOW INDEX FROM `{INVOICE}` WHERE Key_name = 'customer'")
		assert cur.fetchone()["Ignored"] == "NO"
	with pytest.raises(InvalidInput):
		apply.set_ignored(db, database_name, INVOICE, "PRIMARY", True)


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
	"""With userstat on, an index the workload used is kept and one it never used is a drop candidate."""
	make_invoices(db, 2000)
	with db.cursor() as cur:
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
	assert (
		note.startswith("Usage from userstat INDEX_STATISTICS, over the")
		and "since the server started" in note
	)
