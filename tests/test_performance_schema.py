"""The performance_schema readers (query classes, index workload) against a private MariaDB with it on."""

import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pymysql
import pytest

from perf_engine.core.indexes import server_variables, workload
from perf_engine.core.indexes.analysis import analyze
from perf_engine.core.latency import query_classes
from tests.services import MariaDBServer
from tests.test_indexes import INVOICE, INVOICE_META
from tests.test_threshold_sources import LIMITS_S

TABLE_ROWS = 3000
INVOICE_ROWS = 20_000
BATCH_ROWS = 500
SLEEP_S = 0.03
OTHER_SLEEP_S = 0.5
LAST_SEEN_RESOLUTION_S = 1


@pytest.fixture
def schemas(private_mariadb: MariaDBServer) -> Iterator[tuple[str, str]]:
	"""Two empty schemas on the private server (a site's and another's), dropped after the test."""
	names = tuple(f"pe_ps_{uuid.uuid4().hex[:10]}" for _ in range(2))
	admin = private_mariadb.connect()
	with admin.cursor() as cur:
		for name in names:
			cur.execute(f"CREATE DATABASE `{name}`")
	yield names
	with admin.cursor() as cur:
		for name in names:
			cur.execute(f"DROP DATABASE `{name}`")
	admin.close()


def fill(server: MariaDBServer, statements: list[str]) -> None:
	"""Set-up statements run without a default database, so no schema's digests count them."""
	admin = server.connect()
	with admin.cursor() as cur:
		for statement in statements:
			cur.execute(statement)
	admin.close()


def keyed_table(schema: str) -> list[str]:
	return [
		f"CREATE TABLE `{schema}`.t (name VARCHAR(20) PRIMARY KEY, n INT)",
		f"INSERT INTO `{schema}`.t SELECT CONCAT('r', seq), seq FROM `{schema}`.seq_1_to_{TABLE_ROWS}",
	]


def run(conn: pymysql.Connection, sql: str, args_list: list) -> None:
	with conn.cursor() as cur:
		for args in args_list:
			cur.execute(sql, args)
			cur.fetchall()


def test_query_classes_are_measured_from_this_schemas_digests(private_mariadb, schemas):
	"""Key lookups, 500-row reads and COUNTs run here are the three classes, in seconds; another schema's are not."""
	mine, other = schemas
	fill(private_mariadb, keyed_table(mine) + keyed_table(other))
	since = datetime.now(timezone.utc) - timedelta(seconds=2)
	theirs = private_mariadb.connect(other)
	run(
		theirs,
		"SELECT COUNT(*) FROM t WHERE n > %s AND SLEEP(%s) = 0 LIMIT 1",
		[(TABLE_ROWS - 1, OTHER_SLEEP_S)],
	)
	run(theirs, "SELECT COUNT(*) FROM t WHERE n > %s", [(i,) for i in range(7)])
	theirs.close()
	site = private_mariadb.connect(mine)
	run(site, "SELECT n, SLEEP(%s) FROM t WHERE name = %s", [(SLEEP_S, f"r{i}") for i in range(1, 6)])
	run(site, "SELECT name, n FROM t WHERE n > %s LIMIT %s", [(i, BATCH_ROWS) for i in range(3)])
	run(site, "SELECT COUNT(*) FROM t WHERE n > %s", [(i,) for i in range(4)])
	first = query_classes.measure(site, mine, since, LIMITS_S)
	again = query_classes.measure(site, mine, since, LIMITS_S)
	site.close()
	assert first.source == "performance_schema digests" and first.hint is None
	samples = {name: entry["samples"] for name, entry in first.measured.items()}
	assert samples == {"single_query": 5, "batch_query": 3, "count_query": 4}, "only this schema's calls"
	assert SLEEP_S <= first.measured["single_query"]["seconds"] < 1, "picoseconds read as seconds"
	assert first.measured["count_query"]["seconds"] < OTHER_SLEEP_S, "the other schema's slow COUNT"
	assert {n: e["samples"] for n, e in again.measured.items()} == samples, (
		"the reader's own performance_schema read is not the site's batch query"
	)


def test_query_classes_leave_out_digests_last_seen_before_the_window(private_mariadb, schemas):
	"""Statements of this schema run before `since` are outside the window and give no class."""
	mine, _ = schemas
	fill(private_mariadb, keyed_table(mine))
	site = private_mariadb.connect(mine)
	run(site, "SELECT COUNT(*) FROM t WHERE n > %s", [(1,)])
	# last_seen has whole seconds: the statement must end over a second before the window opens.
	time.sleep(LAST_SEEN_RESOLUTION_S + 1)
	found = query_classes.measure(site, mine, datetime.now(timezone.utc), LIMITS_S)
	site.close()
	assert found.source == "performance_schema digests" and found.measured == {}


def invoices(schema: str) -> list[str]:
	"""A Sales Invoice table with its name key only, INVOICE_ROWS rows."""
	return [
		f"""CREATE TABLE `{schema}`.`{INVOICE}` (name VARCHAR(140) PRIMARY KEY, customer VARCHAR(140),
		company VARCHAR(140), posting_date DATE, status VARCHAR(30), remarks TEXT, po_no VARCHAR(140), docstatus INT)""",
		f"""INSERT INTO `{schema}`.`{INVOICE}` SELECT CONCAT('SINV-', seq), CONCAT('C-', seq % 500),
		CONCAT('Co-', seq % 3), DATE_ADD('2024-01-01', INTERVAL seq % 700 DAY),
		ELT(1 + seq % 4, 'Paid', 'Unpaid', 'Overdue', 'Draft'), 'r', seq, 1 FROM `{schema}`.seq_1_to_{INVOICE_ROWS}""",
		f"ANALYZE TABLE `{schema}`.`{INVOICE}`",
	]


SCAN = f"SELECT name FROM `{INVOICE}` WHERE company = %s AND status = 'Paid' AND posting_date > '2025-06-01'"
BY_KEY = f"SELECT customer FROM `{INVOICE}` WHERE name = %s"


def test_workload_digests_carry_calls_and_rows_examined(private_mariadb, schemas):
	"""A scan run 3 times is one digest with 3 calls and every row examined; key lookups and other schemas are not read."""
	mine, other = schemas
	fill(private_mariadb, invoices(mine) + invoices(other))
	theirs = private_mariadb.connect(other)
	run(theirs, SCAN, [("Co-2",)])
	theirs.close()
	site = private_mariadb.connect(mine)
	run(site, SCAN, [("Co-1",), ("Co-2",), ("Co-0",)])
	run(site, BY_KEY, [(f"SINV-{i}",) for i in range(1, 6)])
	variables = server_variables.read(site)
	found, note = workload.statements(site, mine, variables)
	again = workload.digests(site, mine)
	site.close()
	assert note == f"Workload read from performance_schema: {len(found)} statement(s)."
	(scan,) = [s for s in found if "posting_date" in s.sql]
	assert (scan.calls, scan.rows_examined, scan.source, scan.literal) == (
		3,
		3 * INVOICE_ROWS,
		"performance_schema digest",
		False,
	)
	assert 0 < scan.total_time_s < 60, "picoseconds read as seconds"
	assert not [s for s in found if "customer" in s.sql], "a key lookup examines one row"
	assert [s for s in again if "performance_schema" in s.sql] == [], "the reader's own read is not workload"


def test_analysis_turns_a_digest_into_a_workload_finding(private_mariadb, schemas):
	"""The scan's digest becomes an (equality, range) composite from "performance_schema digest", without EXPLAIN."""
	mine, _ = schemas
	fill(private_mariadb, invoices(mine))
	site = private_mariadb.connect(mine)
	run(site, SCAN, [("Co-1",), ("Co-2",)])
	result = analyze(site, mine, [INVOICE_META])
	site.close()
	from_workload = [f for f in result["findings"] if f["source"] == "workload"]
	assert [f["reason"] for f in from_workload] == [
		f"used by performance_schema digest: 2 call(s), {2 * INVOICE_ROWS:,} rows examined"
	]
	(finding,) = from_workload
	assert set(finding["columns"][:2]) == {"company", "status"} and finding["columns"][2] == "posting_date"
	assert finding["evidence"]["explain"] is None and "`posting_date` > ?" in finding["evidence"]["statement"]
	assert result["notes"][0].startswith("Workload read from performance_schema:")
	assert result["unread_statements"] == []
