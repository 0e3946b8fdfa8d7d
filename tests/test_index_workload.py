"""Workload findings from read statements, checked against a real MariaDB catalog."""

import subprocess
import sys

import pytest

from perf_engine.core.indexes import catalog, sql_text, workload
from perf_engine.core.indexes.workload import MAX_STATEMENTS, Statement, findings_from, heaviest

INVOICE, ITEM = "tabSales Invoice", "tabSales Invoice Item"


@pytest.fixture
def invoices(db, database_name):
	"""Sales Invoice and its items, 2,000 invoices of 3 items, with Frappe's name and parent indexes."""
	with db.cursor() as cur:
		cur.execute(
			f"""CREATE TABLE `{INVOICE}` (name VARCHAR(140) PRIMARY KEY, customer VARCHAR(140), company VARCHAR(140),
			posting_date DATE, status VARCHAR(30), docstatus INT, creation DATETIME(6))"""
		)
		cur.execute(
			f"""CREATE TABLE `{ITEM}` (name VARCHAR(140) PRIMARY KEY, parent VARCHAR(140), item_code VARCHAR(140),
			qty DECIMAL(21,9), KEY parent (parent))"""
		)
		cur.execute(
			f"""INSERT INTO `{INVOICE}` SELECT CONCAT('SINV-', seq), CONCAT('C-', seq % 200), CONCAT('Co-', seq % 3),
			DATE_ADD('2024-01-01', INTERVAL seq % 400 DAY), ELT(1 + seq % 3, 'Paid', 'Unpaid', 'Overdue'), 1, NOW()
			FROM seq_1_to_2000"""
		)
		cur.execute(
			f"""INSERT INTO `{ITEM}` SELECT CONCAT('ROW-', seq), CONCAT('SINV-', 1 + seq % 2000), CONCAT('I-', seq % 50), 1
			FROM seq_1_to_6000"""
		)
		cur.execute(f"ANALYZE TABLE `{INVOICE}`, `{ITEM}`")
	return catalog.table_sizes(db, database_name), catalog.indexes(db, database_name)


def statement(sql: str, total_time_s: float = 1.0) -> Statement:
	return Statement(sql, 10, total_time_s, 50_000, "slow log (table)", True)


def proposed(db, database_name, invoices, *sqls: str) -> tuple[set[tuple[str, tuple[str, ...]]], list[dict]]:
	"""(table, columns) of every finding the statements lead to, and the statements left unread."""
	sizes, indexes = invoices
	findings, unread = findings_from(db, database_name, [statement(s) for s in sqls], sizes, indexes)
	return {(f.table, f.columns) for f in findings}, unread


def test_columns_the_table_lacks_are_never_proposed(db, database_name, invoices):
	"""Unknown columns (qualified or not) and SHOW ... WHERE key_name give nothing; known ones still count."""
	found, unread = proposed(
		db,
		database_name,
		invoices,
		f"SHOW INDEX FROM `{INVOICE}` WHERE key_name = 'customer'",
		f"SELECT name FROM `{INVOICE}` WHERE key_name = 'x' AND `{INVOICE}`.nosuch = 1 ORDER BY bogus",
		f"SELECT name FROM `{INVOICE}` si WHERE si.Status = 'Paid' AND si.nothing_here > 5",
	)
	assert (found, unread) == ({(INVOICE, ("status",))}, [])


def test_unqualified_columns_of_a_join_resolve_against_the_live_catalog(db, database_name, invoices):
	"""`customer` and `item_code` are placed on their own tables by information_schema, not guessed."""
	found, _ = proposed(
		db,
		database_name,
		invoices,
		f"SELECT si.name FROM `{INVOICE}` si JOIN `{ITEM}` sii ON sii.parent = si.name "
		"WHERE customer = 'C-1' AND item_code = 'I-1' AND posting_date > '2024-06-01'",
	)
	assert found == {(INVOICE, ("customer", "posting_date")), (ITEM, ("item_code",))}


def test_equality_columns_lead_most_selective_first_then_the_range(db, database_name, invoices):
	"""Date arithmetic keeps every filter; equality columns are ordered by index/column statistics, never a scan."""
	with db.cursor() as cur:
		cur.execute(f"ALTER TABLE `{INVOICE}` ADD INDEX company (company), ADD INDEX customer_x (customer)")
		cur.execute(f"ANALYZE TABLE `{INVOICE}`")
	sizes, indexes = catalog.table_sizes(db, database_name), catalog.indexes(db, database_name)
	found, _ = proposed(
		db,
		database_name,
		(sizes, indexes),
		f"SELECT name FROM `{INVOICE}` WHERE company = 'Co-1' AND customer = 'C-1' "
		"AND posting_date >= CURDATE() - INTERVAL 30 DAY AND docstatus = 1",
	)
	(columns,) = {c for _, c in found}
	assert columns[:2] == ("customer", "company") and columns[-1] == "posting_date"
	assert set(columns) == {"customer", "company", "docstatus", "posting_date"}


def test_or_functions_and_leading_wildcards_propose_nothing(db, database_name, invoices):
	"""A predicate no index can serve never becomes an index, and the evidence of others says why."""
	found, _ = proposed(
		db,
		database_name,
		invoices,
		f"SELECT name FROM `{INVOICE}` WHERE creation < NOW() - INTERVAL 7 DAY OR status = 'Paid'",
		f"SELECT name FROM `{INVOICE}` WHERE DATE(posting_date) = '2024-02-01' AND customer LIKE '%-1'",
	)
	assert found == set()


def test_subqueries_and_union_branches_propose_for_their_own_tables(db, database_name, invoices):
	"""Tables inside IN (SELECT ...) and a UNION branch get their own findings."""
	found, _ = proposed(
		db,
		database_name,
		invoices,
		f"SELECT name FROM `{INVOICE}` WHERE name IN (SELECT parent FROM `{ITEM}` WHERE item_code = 'I-7') "
		f"UNION SELECT name FROM `{INVOICE}` WHERE status = 'Overdue' ORDER BY 1",
	)
	assert found == {(ITEM, ("item_code",)), (INVOICE, ("status",))}


def test_sort_or_join_key_when_there_is_no_filter(db, database_name, invoices):
	"""Equality then ORDER BY when there is no range; a table read by its join key alone gets that key."""
	found, _ = proposed(
		db,
		database_name,
		invoices,
		f"SELECT name FROM `{INVOICE}` WHERE customer = 'C-1' ORDER BY creation DESC LIMIT 20",
		f"SELECT sii.qty FROM `{INVOICE}` si JOIN `{ITEM}` sii ON sii.item_code = si.customer WHERE si.company = 'Co-2'",
	)
	assert found == {(INVOICE, ("customer", "creation")), (INVOICE, ("company",)), (ITEM, ("item_code",))}


def test_other_schemas_tables_and_covered_composites_are_skipped(db, database_name, invoices):
	"""A table qualified with another database, and a need an index already covers, give nothing."""
	found, _ = proposed(
		db,
		database_name,
		invoices,
		f"SELECT name FROM `some_other_site`.`{INVOICE}` WHERE company = 'Co-1'",
		f"SELECT name FROM `{ITEM}` WHERE parent = 'SINV-1'",
	)
	assert found == set()


def test_unread_statements_are_counted_and_named_never_guessed(db, database_name, invoices):
	"""Unterminated, truncated and unparseable statements are listed with their reason and give no finding."""
	broken = [
		f"SELECT name FROM `{INVOICE}` WHERE status = 'Paid",
		f"SELECT `name` FROM `{INVOICE}` WHERE `customer` = ? AND `company` = ...",
		f"SELECT name FROM `{INVOICE}` WHERE status = 'Paid' PROCEDURE ANALYSE()",
		f"SELECT name FROM `{INVOICE}` /* WHERE status = 'Unpaid'",
	]
	found, unread = proposed(db, database_name, invoices, *broken)
	assert found == set()
	assert [u["statement"] for u in unread] == broken
	assert [u["reason"].split(":")[0] for u in unread] == [
		"unterminated ' quote",
		"truncated digest (ends in ...)",
		"sqlglot could not parse it",
		"unterminated /* comment",
	]
	note = workload.unread_note(unread)
	assert note.startswith(" 4 statement(s) could not be read and were left out, not guessed:")
	assert "PROCEDURE ANALYSE" in note and "Unpaid" not in note, "the note names the first few only"


def test_statements_sqlglot_trips_on_are_unread_and_the_rest_still_read(db, database_name, invoices):
	"""sqlglot's AttributeError and IndexError cost one statement each: the analysis goes on past them."""
	tripping = [
		"SELECT DATE_SUB(NOW())",
		"SHOW FULL",
		f"SELECT name FROM `{INVOICE}` WHERE creation > DATE_SUB(",
	]
	readable = f"SELECT name FROM `{INVOICE}` WHERE customer = 'C-1' ORDER BY posting_date"
	found, unread = proposed(db, database_name, invoices, tripping[0], tripping[1], readable, tripping[2])
	assert found == {(INVOICE, ("customer", "posting_date"))}
	assert [u["statement"] for u in unread] == tripping
	assert all(u["reason"].startswith("sqlglot failed on it") for u in unread)


def test_a_statement_its_source_already_refused_is_listed_with_that_reason(db, database_name, invoices):
	"""A source that compacted a statement the reader refuses keeps the reason; it is listed, never read."""
	sizes, indexes = invoices
	kept = workload.kept("SELECT a FROM t WHERE b IN (" + "1, " * 10_000 + "'x", "slow log (table)", True)
	assert kept.unread == "unterminated ' quote" and len(kept.sql) == sql_text.MAX_STATEMENT_CHARS
	findings, unread = findings_from(db, database_name, [kept], sizes, indexes)
	assert findings == [] and [u["reason"] for u in unread] == ["unterminated ' quote"]


def test_evidence_carries_what_the_reader_saw(db, database_name, invoices):
	"""The finding's evidence holds the statement, its EXPLAIN and the columns by role."""
	sizes, indexes = invoices
	findings, _ = findings_from(
		db,
		database_name,
		[
			statement(
				f"SELECT name FROM `{INVOICE}` WHERE status = 'Paid' AND IFNULL(customer, '') = '' ORDER BY creation"
			)
		],
		sizes,
		indexes,
	)
	(finding,) = findings
	assert finding.columns == ("status", "creation")
	assert finding.evidence["reading"] == {
		"equality": ["status"],
		"range": [],
		"join": [],
		"order_by": ["creation"],
		"group_by": [],
		"unindexable": [{"column": "customer", "why": "function or expression around the column"}],
	}
	assert finding.evidence["explain"][0]["table"] == INVOICE


def test_one_analysis_reads_at_most_max_statements_the_heaviest_first():
	"""Of many statements, the MAX_STATEMENTS that took the most time are kept."""
	many = [statement(f"SELECT {n}", total_time_s=n) for n in range(MAX_STATEMENTS + 100)]
	kept = heaviest(many)
	assert len(kept) == MAX_STATEMENTS
	assert kept[0].total_time_s == MAX_STATEMENTS + 99 and kept[-1].total_time_s == 100


def test_importing_the_analysis_leaves_sqlglot_unloaded():
	"""Web workers that import perf_engine's API pay for sqlglot only when an analysis reads SQL."""
	probe = "import sys, perf_engine.core.indexes.analysis; print('sqlglot' in sys.modules)"
	loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
	assert loaded.stdout.strip() == "False"


def test_an_analysis_with_no_statements_leaves_sqlglot_unloaded():
	"""With no workload source on there is nothing to parse, so the analysis never loads sqlglot."""
	probe = (
		"import sys; from perf_engine.core.indexes import workload; "
		"print(workload.findings_from(None, 'site', [], {}, {}), 'sqlglot' in sys.modules)"
	)
	loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
	assert loaded.stdout.strip() == "([], []) False"
