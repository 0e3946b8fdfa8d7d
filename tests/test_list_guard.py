"""EXPLAIN read from real plans, the guard's verdict on list queries, and the index it points at."""

import re

import pymysql
import pytest
from hypothesis import given
from hypothesis import strategies as st

from perf_engine.core.capacity.volume_tiers import above_large, table_rows
from perf_engine.core.indexes import catalog, workload
from perf_engine.core.indexes.plan import Plan, explain, read_plan
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


def test_a_stopped_query_with_a_long_in_list_is_kept_compact(redis_client):
	"""A refused `["in", names]` query of 200 KB is kept with its list shortened: 200 of them cost kilobytes."""
	names = ", ".join(f"'SINV-{n:014d}'" for n in range(10_000))
	list_guard.record_evidence(redis_client, "site1|", f"select name from t where name in ({names})", 5)
	(kept,) = list_guard.evidence(redis_client, "site1|")
	assert len(names) > 200_000 and kept.sql == "select name from t where name in ('SINV-00000000000000')"


def test_the_index_analysis_reads_a_stopped_query_as_workload_evidence(invoices):
	"""A list query the guard stopped, with no slow log behind it, still yields the index it needed."""
	conn, database = invoices
	guarded = [Statement(FRAPPE_SQL + " limit 20 offset 0", 3, 0.0, 180_000, list_guard.GUARD_SOURCE, True)]
	sizes, indexes = catalog.table_sizes(conn, database), catalog.indexes(conn, database)
	findings, note, _ = workload.workload_findings(conn, database, sizes, indexes, guarded)
	assert "list guard" in note
	(finding,) = [f for f in findings if f.table == TABLE]
	assert finding.columns == ("customer", "posting_date") and "list guard: 3 call(s)" in finding.reason


# The shapes Desk sends, on a ToDo of 600,000 rows (past the Large tier) with Frappe's own indexes:
# name, modified, and (reference_type, reference_name); status and priority are not indexed.
TODO = "tabToDo"
TODO_ROWS = 600_000
LIST_VIEW = (
	f"select `{TODO}`.`name` from `{TODO}` where `{TODO}`.`status` = 'Open' "
	f"order by `{TODO}`.`modified` desc limit 20 offset {{offset}}"
)


@pytest.fixture(scope="module")
def todos():
	"""A ToDo table as Frappe 15 creates it, 600,000 rows with spread-out `modified` times, every page sampled."""
	with temporary_database("pe_guard_todo") as name:
		conn = connect_database(name)
		with conn.cursor() as cur:
			cur.execute(
				f"""CREATE TABLE `{TODO}` (name VARCHAR(140) PRIMARY KEY, modified DATETIME(6),
				status VARCHAR(140), priority VARCHAR(140), allocated_to VARCHAR(140), description TEXT,
				reference_type VARCHAR(140), reference_name VARCHAR(140), KEY modified (modified),
				KEY reference_type_reference_name_index (reference_type, reference_name)) {EXACT_ROW_ESTIMATE}"""
			)
			cur.execute(
				f"""INSERT INTO `{TODO}` SELECT CONCAT('TD-', LPAD(seq, 7, '0')),
				'2020-01-01' + INTERVAL (seq * 7919) % 40000000 SECOND, ELT(1 + seq % 3, 'Open', 'Closed', 'Cancelled'),
				ELT(1 + seq % 3, 'Low', 'Medium', 'High'), CONCAT('user', seq % 50, '@example.com'),
				CONCAT('todo ', seq), ELT(1 + seq % 4, 'Note', 'Task', 'Project', 'Issue'),
				CONCAT('N-', seq % 1000) FROM seq_1_to_{TODO_ROWS}"""
			)
			cur.execute(f"ANALYZE TABLE `{TODO}`")
		yield conn, name
		conn.close()


def judged(todos, sql: str) -> tuple[list_guard.Verdict, Plan]:
	"""The guard's verdict on one statement, from the real plan and the table's real estimate."""
	conn, database = todos
	plan = read_plan(explain(conn, sql))
	return list_guard.judge(TODO, table_rows(conn, database, TODO), plan, sql), plan


@pytest.mark.parametrize("offset", [0, 20, 40])
def test_a_list_view_page_sorted_by_an_indexed_column_is_accepted(todos, offset):
	"""Filter, sort by `modified` (indexed) and a page of 20: an ordered index walk the LIMIT stops early."""
	verdict, plan = judged(todos, LIST_VIEW.format(offset=offset))
	access = plan.of(TODO)
	assert (access.access, access.key, plan.filesort) == ("index", "modified", False)
	assert verdict.guarded and verdict.ok, verdict.message()
	assert verdict.rows_read <= 3 * (20 + offset)


@pytest.mark.parametrize(
	"where", ["`reference_type` = 'Task'", "`reference_type` = 'Task' and `reference_name` = 'N-7'"]
)
def test_a_count_by_an_indexed_filter_is_accepted(todos, where):
	"""A count over the (reference_type, reference_name) index returns one row, however many entries match."""
	verdict, plan = judged(todos, f"select count(`{TODO}`.`name`) as total_count from `{TODO}` where {where}")
	assert plan.of(TODO).access == "ref" and verdict.ok, verdict.message()


def test_a_list_with_no_limit_is_refused_for_its_scan_and_its_size(todos):
	"""No limit: the whole table is read and sorted; the message says so in numbers past the Small tier."""
	verdict, _ = judged(
		todos, f"select `{TODO}`.`name` from `{TODO}` where `{TODO}`.`status` = 'Open' order by modified desc"
	)
	message = verdict.message()
	assert not verdict.ok and "no limit" in message and "full table scan" in message
	assert verdict.rows_read > 500_000 and list_guard.STREAM_FIX in verdict.fixes


def test_a_page_sorted_by_an_unindexed_column_is_refused_for_its_filesort(todos):
	"""Sorting by priority (no index) sorts every matching row before the first 20 are known."""
	verdict, _ = judged(
		todos,
		f"select `{TODO}`.`name` from `{TODO}` where `{TODO}`.`status` = 'Open' "
		f"order by `{TODO}`.`priority` desc limit 20 offset 0",
	)
	assert not verdict.ok and any(p.startswith("EXPLAIN shows a filesort of ~") for p in verdict.problems)
	assert "no limit" not in verdict.message()


def test_a_deep_offset_is_refused_whatever_the_plan(todos):
	"""Page 1,001 of the list view reads and discards 20,000 rows first."""
	verdict, _ = judged(todos, LIST_VIEW.format(offset=20_000))
	assert not verdict.ok and any("OFFSET 20,000" in p for p in verdict.problems)
	assert list_guard.STREAM_FIX in verdict.fixes


@pytest.mark.parametrize(
	("where", "kind"),
	[(f"where `{TODO}`.`status` = 'Open'", "full table scan"), ("", "full index scan")],
)
def test_a_count_that_reads_the_whole_table_or_index_is_refused(todos, where, kind):
	"""A count by an unindexed filter reads every row (type ALL); an unfiltered one every index entry."""
	verdict, _ = judged(todos, f"select count(*) from `{TODO}` {where}")
	message = verdict.message()
	assert not verdict.ok and kind in message and "no limit" not in message
	assert verdict.rows_read > 500_000


def test_a_statement_the_reader_cannot_read_never_stops_the_guard(todos):
	"""A statement sqlglot trips on suggests no index, and its verdict is still given."""
	conn, database = todos
	assert list_guard.suggest_index(conn, database, TODO, "SELECT DATE_SUB(NOW())") == ((), "")
	assert list_guard.judge(TODO, TODO_ROWS, read_plan([]), "SHOW FULL").ok


scan_rows = st.integers(0, 5_000_000)


@given(
	access=st.sampled_from(["ALL", "index", "range", "ref", "eq_ref", "const"]),
	rows=scan_rows,
	table=st.integers(500_000, 5_000_000),
	extra=st.sets(st.sampled_from(["Using where", "Using filesort", "Using temporary", "Using index"])),
	limit=st.one_of(st.none(), st.integers(0, 1000)),
	offset=st.integers(0, 100_000),
	index_fix=st.sampled_from(["", "add an index on (status, modified)"]),
)
def test_a_refusal_never_contradicts_itself(access, rows, table, extra, limit, offset, index_fix):
	"""Whatever the plan: a scan or sort named is past the Small tier, a limit is never called missing when
	there is one, and a refusal always names a fix; an accepted query reads at most the Small tier."""
	sql = "select name from t" + ("" if limit is None else f" limit {limit} offset {offset}")
	plan = plan_of(access, rows, "; ".join(sorted(extra)), key="k")
	verdict = list_guard.judge(TABLE, table, plan, sql, index_fix=index_fix)
	bound = list_guard.small_bound()
	if verdict.ok:
		assert verdict.rows_read <= bound or access not in ("ALL", "index")
		return
	assert verdict.fixes
	message = verdict.message()
	if "scan" in message:
		assert verdict.rows_read > bound
	if limit is not None:
		assert "no limit" not in message
	for number in re.findall(r"~([\d,]+) rows", message):
		assert int(number.replace(",", "")) > bound, message
