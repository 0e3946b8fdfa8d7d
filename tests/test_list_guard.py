"""EXPLAIN read from real plans, the guard's verdict on list queries, and the index it points at."""

import pymysql
import pytest
from hypothesis import given
from hypothesis import strategies as st

from perf_engine.core.capacity.volume_tiers import above_large, table_rows
from perf_engine.core.indexes import catalog, workload
from perf_engine.core.indexes.plan import explain, read_plan
from perf_engine.core.indexes.workload import Statement
from perf_engine.core.query import list_guard
from tests.services import EXACT_ROW_ESTIMATE, connect_database, temporary_database

TABLE = "tabGuarded Invoice"
FRAPPE_SQL = (
	"select `tabGuarded Invoice`.`name` from `tabGuarded Invoice` "
	"where `tabGuarded Invoice`.`customer` = 'C-7' order by `tabGuarded Invoice`.`posting_date` desc"
)


@pytest.fixture(scope="module")
def invoices():
	"""60,000 invoices with an index on status only; customer and posting_date are unindexed."""
	with temporary_database("pe_i13_guard") as name:
		conn = connect_database(name)
		with conn.cursor() as cur:
			cur.execute(
				f"""CREATE TABLE `{TABLE}` (name VARCHAR(140) PRIMARY KEY, customer VARCHAR(140),
				posting_date DATE, status VARCHAR(30), KEY status (status)) {EXACT_ROW_ESTIMATE}"""
			)
			cur.execute(
				f"""INSERT INTO `{TABLE}` SELECT CONCAT('SINV-', seq), CONCAT('C-', seq % 500),
				'2020-01-01' + INTERVAL (seq % 1500) DAY, ELT(1 + seq % 4, 'Paid', 'Unpaid', 'Draft', 'Return')
				FROM seq_1_to_60000"""
			)
			cur.execute(f"ANALYZE TABLE `{TABLE}`")
		yield conn, name
		conn.close()


def test_a_full_scan_and_filesort_are_read_from_real_explain(invoices):
	"""An unindexed filter and sort: type ALL, a filesort, and the optimizer's row estimate near the table's."""
	conn, _ = invoices
	plan = read_plan(explain(conn, FRAPPE_SQL))
	access = plan.of(TABLE)
	assert access.full_scan and access.access == "ALL" and access.key is None
	assert plan.filesort and access.filtered
	assert 40_000 < plan.rows_examined < 80_000


def test_an_index_lookup_is_read_as_one(invoices):
	"""A filter on the indexed status column reads through that index, not the whole table."""
	conn, _ = invoices
	plan = read_plan(explain(conn, f"select name from `{TABLE}` where status = 'Paid' limit 20"))
	access = plan.of(TABLE)
	assert access.key == "status" and not access.full_scan and not plan.filesort


def test_explain_refuses_anything_but_a_select(invoices):
	"""Plain EXPLAIN only ever sees a SELECT: an UPDATE or DELETE is never handed to the server."""
	conn, _ = invoices
	with pytest.raises(ValueError):
		explain(conn, f"delete from `{TABLE}`")


def test_the_index_the_query_needs_is_named_and_then_seen_as_covered(invoices):
	"""Equality column first, then the sort column; once such an index exists it is named as covering."""
	conn, database = invoices
	assert list_guard.suggest_index(conn, database, TABLE, FRAPPE_SQL) == (("customer", "posting_date"), "")
	with conn.cursor() as cur:
		cur.execute(f"ALTER TABLE `{TABLE}` ADD INDEX cust_date (customer, posting_date)")
	try:
		assert list_guard.suggest_index(conn, database, TABLE, FRAPPE_SQL) == (
			("customer", "posting_date"),
			"cust_date",
		)
		plan = read_plan(explain(conn, FRAPPE_SQL + " limit 20"))
		assert plan.of(TABLE).key == "cust_date" and not plan.filesort
	finally:
		with conn.cursor() as cur:
			cur.execute(f"ALTER TABLE `{TABLE}` DROP INDEX cust_date")


def test_table_rows_come_from_information_schema(invoices):
	"""The estimate of a table, None for one that does not exist; 500,000 rows is past Large, 499,999 is not."""
	conn, database = invoices
	assert 50_000 < table_rows(conn, database, TABLE) < 70_000
	assert table_rows(conn, database, "tabNo Such") is None
	assert above_large(500_000) and not above_large(499_999)


def plan_of(access: str, rows: int, extra: str = "", key: str | None = None):
	return read_plan([{"id": 1, "table": TABLE, "type": access, "key": key, "rows": rows, "Extra": extra}])


def test_the_guard_refuses_a_full_scan_on_a_table_past_large_and_names_the_fix():
	"""A filesorted full scan of 600,000 rows is refused with the table, tier, plan and the index fix."""
	plan = plan_of("ALL", 600_000, "Using where; Using filesort")
	verdict = list_guard.judge(TABLE, 600_000, plan, FRAPPE_SQL + " limit 20 offset 0", index_fix="add X")
	assert not verdict.ok
	message = verdict.message()
	for part in (TABLE, "Enterprise tier", "~600,000 rows", "full table scan", "filesort", "add X"):
		assert part in message, part
	assert "no limit" not in message


def test_the_guard_names_an_unbounded_read_and_a_deep_offset():
	"""No limit over an index range of 200,000 rows, and an OFFSET of 50,000, each call for streaming."""
	unbounded = list_guard.judge(
		TABLE, 3_000_000, plan_of("ref", 200_000, key="status"), "select name from t"
	)
	assert [p for p in unbounded.problems if "no limit" in p] and list_guard.STREAM_FIX in unbounded.fixes
	deep = list_guard.judge(
		TABLE, 3_000_000, plan_of("index", 50_020, key="PRIMARY"), "select 1 limit 20 offset 50000"
	)
	assert any("OFFSET 50,000" in p for p in deep.problems)


def test_the_guard_lets_cheap_queries_and_smaller_tables_through():
	"""An index read with a limit, a primary-key walk that stops at its limit, and a Large table all pass."""
	ok = list_guard.judge(
		TABLE, 3_000_000, plan_of("ref", 40, key="customer"), FRAPPE_SQL + " limit 20 offset 0"
	)
	early = list_guard.judge(
		TABLE, 3_000_000, plan_of("index", 3_000_000, key="PRIMARY"), "select name limit 20"
	)
	small = list_guard.judge(TABLE, 499_999, plan_of("ALL", 499_999, "Using filesort"), FRAPPE_SQL)
	assert ok.ok and early.ok and small.ok and not small.guarded


@pytest.mark.parametrize(
	"sql, expected",
	[
		("select 1 from t limit 20 offset 40", (20, 40)),
		("select 1 from t LIMIT 10, 5;", (5, 10)),
		("select 1 from t limit 7", (7, 0)),
		("select 1 from t", (None, 0)),
		("select 1 from (select 1 limit 5) x where a = 1", (None, 0)),
	],
)
def test_a_trailing_limit_is_read(sql, expected):
	"""Frappe's `limit n offset m`, MySQL's `LIMIT m, n`, none, and a limit inside a subquery only."""
	assert list_guard.limit_of(sql) == expected


@given(
	st.lists(
		st.one_of(
			st.none(),
			st.text(),
			st.dictionaries(
				st.sampled_from(["id", "table", "type", "key", "rows", "Extra"]),
				st.one_of(st.none(), st.text(), st.integers()),
			),
		)
	)
)
def test_reading_a_plan_ends_on_any_rows(rows):
	"""Whatever rows arrive, reading them ends with a plan and a non-negative estimate."""
	assert read_plan(rows).rows_examined >= 0


@given(st.text())
def test_reading_a_limit_ends_on_any_text(sql):
	"""Any text gives a limit or None and an offset of at least 0."""
	limit, offset = list_guard.limit_of(sql)
	assert offset >= 0 and (limit is None or limit >= 0)


def test_explain_of_a_statement_the_server_refuses_raises(invoices):
	"""A SELECT naming a missing column is the server's error, not an empty plan."""
	conn, _ = invoices
	with pytest.raises(pymysql.MySQLError):
		explain(conn, f"select nope from `{TABLE}`")


def test_stopped_queries_are_kept_bounded_and_read_back_grouped(redis_client):
	"""Each stopped query is kept with its estimate, the newest 200 only; repeats are counted, junk skipped."""
	for i in range(list_guard.EVIDENCE_KEPT + 50):
		list_guard.record_evidence(redis_client, "site1|", f"select {i % 3}", 1000)
	redis_client.lpush("site1|" + list_guard.EVIDENCE_KEY, "not json", '{"sql": "x"}')
	assert redis_client.llen("site1|" + list_guard.EVIDENCE_KEY) == list_guard.EVIDENCE_KEPT + 2
	statements = {s.sql: s for s in list_guard.evidence(redis_client, "site1|")}
	assert set(statements) == {"select 0", "select 1", "select 2"}
	assert sum(s.calls for s in statements.values()) == list_guard.EVIDENCE_KEPT - 2
	assert statements["select 0"].source == list_guard.GUARD_SOURCE
	assert list_guard.evidence(redis_client, "site2|") == []


def test_the_index_analysis_reads_a_stopped_query_as_workload_evidence(invoices):
	"""A list query the guard stopped, with no slow log behind it, still yields the index it needed."""
	conn, database = invoices
	guarded = [Statement(FRAPPE_SQL + " limit 20 offset 0", 3, 0.0, 180_000, list_guard.GUARD_SOURCE, True)]
	sizes, indexes = catalog.table_sizes(conn, database), catalog.indexes(conn, database)
	findings, note, _ = workload.workload_findings(conn, database, sizes, indexes, guarded)
	assert "list guard" in note
	(finding,) = [f for f in findings if f.table == TABLE]
	assert finding.columns == ("customer", "posting_date") and "list guard: 3 call(s)" in finding.reason
