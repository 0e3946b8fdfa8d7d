"""Top queries: per-fingerprint sums match pt-query-digest's on the same slow log, the slow log table and
performance_schema digests are read for the site's database only, and each statement gets the analysis's index."""

import json
import random
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pymysql
import pytest

from perf_engine.core.observatory import slow_log_table
from perf_engine.core.observatory.executions import DIGESTS, SLOW_LOG_FILE, SLOW_LOG_TABLE
from perf_engine.core.observatory.suggested_index import add_suggestions
from perf_engine.core.observatory.top_queries import top_queries
from tests.observatory_helpers import wait_until
from tests.services import MariaDBServer

PEER_TOP = 10
TOTAL_TIME_TOLERANCE = 0.01
# (executions, statement template): each template's placeholders take new values every time.
WORKLOAD = (
	(12, "SELECT SLEEP({t}), name FROM items WHERE id = {n}"),
	(9, "select   sleep({t}),\n  name from items where id = {n}"),
	(20, "SELECT SLEEP({t}), qty FROM items WHERE category = '{c}' LIMIT 1"),
	(15, "SELECT SLEEP({t}) FROM items WHERE id IN ({ids}) LIMIT 1"),
	(30, "UPDATE items SET qty = qty + {n} WHERE id = {m}"),
	(25, "SELECT COUNT(*) FROM items WHERE qty > {n}"),
	(18, "SELECT name FROM items WHERE name LIKE '{c}%' ORDER BY qty DESC LIMIT {n}"),
	(14, "INSERT INTO events (item, note) VALUES ({n}, '{c}'), ({m}, 'it''s {c}')"),
	(11, "SELECT i.name, e.note FROM items i JOIN events e ON e.item = i.id WHERE i.id = {n}"),
	(8, "/* report */ SELECT SLEEP({t}), id FROM items WHERE qty BETWEEN {n} AND {m} LIMIT 1"),
	(16, 'SELECT SLEEP({t}), category FROM items WHERE category = "{c}" AND note IS NULL'),
	(6, "DELETE FROM events WHERE item = {n} AND note = 'gone {c}'"),
	(22, "SELECT SLEEP({t}), name FROM items WHERE category = '{c}' ORDER BY id LIMIT {n}, 5"),
)


@pytest.fixture
def shop(private_mariadb: MariaDBServer) -> Iterator[str]:
	"""A database of the private server with items and events, dropped afterwards."""
	admin = private_mariadb.connect()
	name = f"shop_{random.randrange(10**8)}"
	with admin.cursor() as cur:
		cur.execute(f"CREATE DATABASE {name}")
		cur.execute(
			f"CREATE TABLE {name}.items (id INT PRIMARY KEY, name VARCHAR(40), category VARCHAR(20), qty INT, note VARCHAR(20))"
		)
		cur.execute(
			f"CREATE TABLE {name}.events (id INT AUTO_INCREMENT PRIMARY KEY, item INT, note VARCHAR(40))"
		)
		cur.executemany(
			f"INSERT INTO {name}.items VALUES (%s, %s, %s, %s, NULL)",
			[(n, f"item {n}", f"c{n % 7}", n % 50) for n in range(1, 400)],
		)
	yield name
	with admin.cursor() as cur:
		cur.execute(f"DROP DATABASE {name}")
	admin.close()


def run_workload(server: MariaDBServer, database: str) -> None:
	"""Every template, its executions interleaved at random, each with fresh values."""
	rng = random.Random(7)
	calls = [template for count, template in WORKLOAD for _ in range(count)]
	rng.shuffle(calls)
	conn = server.connect(database)
	with conn.cursor() as cur:
		for template in calls:
			values = {
				"t": f"0.00{rng.randint(1, 9)}",
				"n": rng.randint(1, 300),
				"m": rng.randint(1, 300),
				"c": f"c{rng.randint(0, 6)}",
				"ids": ", ".join(str(rng.randint(1, 300)) for _ in range(rng.randint(1, 30))),
			}
			cur.execute(template.format(**values).replace("%", "%%"))
			cur.fetchall()
	conn.close()


@pytest.fixture
def slow_log_file(private_mariadb: MariaDBServer, tmp_path: Path) -> Iterator[Path]:
	"""The private server logs every statement to a file of this test's own while the test runs."""
	path = tmp_path / "slow.log"
	admin = private_mariadb.connect()
	with admin.cursor() as cur:
		cur.execute("SELECT @@slow_query_log, @@log_output, @@long_query_time, @@slow_query_log_file")
		before = cur.fetchone()
		cur.execute(f"SET GLOBAL slow_query_log_file = '{path}'")
		cur.execute("SET GLOBAL log_output = 'FILE', long_query_time = 0, slow_query_log = 1")
	yield path
	with admin.cursor() as cur:
		cur.execute("SET GLOBAL slow_query_log = %s, log_output = %s, long_query_time = %s", before[:3])
		cur.execute("SET GLOBAL slow_query_log_file = %s", (before[3],))
	admin.close()


def logged(server: MariaDBServer, path: Path) -> None:
	"""Wait until the workload is in the file: the server writes an entry after answering its client."""
	marker = f"workload logged {random.randrange(10**9)}"
	conn = server.connect()
	with conn.cursor() as cur:
		cur.execute("SELECT %s", (marker,))
	conn.close()
	wait_until(lambda: marker in path.read_text())


def pt_query_digest(path: Path, limit: int) -> list[dict]:
	"""Percona's pt-query-digest on the file: its top classes by total Query_time, as JSON."""
	command = shutil.which("pt-query-digest")
	if command is None:
		pytest.fail("pt-query-digest is missing: apt-get install percona-toolkit (.ci/run installs it)")
	output = subprocess.run(
		[command, "--output", "json", "--limit", str(limit), "--order-by", "Query_time:sum", str(path)],
		capture_output=True,
		text=True,
		check=True,
		timeout=120,
	).stdout
	return json.loads(output)["classes"]


def pt_fingerprint(statement: str) -> str:
	"""Percona's own fingerprint of one statement (as its digest reads it: no final `;`), to say which of
	its classes a group is. pt-fingerprint 3.2.1 exits 1 even when it prints the fingerprint."""
	statement = statement.strip().removesuffix(";")
	return subprocess.run(
		["pt-fingerprint", "--query", statement], capture_output=True, text=True, timeout=30
	).stdout.strip()


def test_the_top_ten_fingerprints_match_pt_query_digest_on_the_same_slow_log(
	private_mariadb, shop, slow_log_file
):
	"""Same statements in the same order, equal counts, total times within 1 % of pt-query-digest's."""
	run_workload(private_mariadb, shop)
	logged(private_mariadb, slow_log_file)
	ours = top_queries(None, None, since=0, limit=PEER_TOP, slow_log_file=str(slow_log_file))
	theirs = pt_query_digest(slow_log_file, PEER_TOP)
	assert ours["source"] == SLOW_LOG_FILE
	assert len(ours["queries"]) == len(theirs) == PEER_TOP
	for rank, (mine, peer) in enumerate(zip(ours["queries"], theirs, strict=True), start=1):
		assert pt_fingerprint(mine["example"]) == peer["fingerprint"], rank
		assert mine["count"] == peer["query_count"], (rank, peer["fingerprint"])
		peer_total = float(peer["metrics"]["Query_time"]["sum"])
		assert mine["total_time_s"] == pytest.approx(peer_total, rel=TOTAL_TIME_TOLERANCE), rank
		assert float(peer["metrics"]["Query_time"]["max"]) == pytest.approx(mine["max_time_s"], abs=1e-6)
	first_shape = [
		q for q in ours["queries"] if q["fingerprint"].startswith("select sleep(?), name from items where id")
	]
	assert first_shape and first_shape[0]["count"] == 21, "spacing and case differences are one statement"


def test_a_window_and_another_database_are_left_out_of_the_file(private_mariadb, shop, slow_log_file):
	"""Only the named database's executions count; a window after the workload holds none of them."""
	run_workload(private_mariadb, shop)
	logged(private_mariadb, slow_log_file)
	mine = top_queries(None, shop, since=0, limit=100, slow_log_file=str(slow_log_file))
	workload = [q for q in mine["queries"] if not q["fingerprint"].startswith("set names")]
	assert sum(q["count"] for q in workload) == sum(count for count, _ in WORKLOAD)
	assert top_queries(None, "another_site", since=0, slow_log_file=str(slow_log_file))["queries"] == []
	later = top_queries(None, shop, since=4_000_000_000, slow_log_file=str(slow_log_file))
	assert later["queries"] == []


@contextmanager
def logging_to_table(server: MariaDBServer) -> Iterator[pymysql.Connection]:
	"""Every statement logged to an empty mysql.slow_log while the block runs; the settings restored after."""
	admin = server.connect()
	with admin.cursor() as cur:
		cur.execute("SELECT @@slow_query_log, @@log_output, @@long_query_time")
		before = cur.fetchone()
		cur.execute("TRUNCATE mysql.slow_log")
		cur.execute("SET GLOBAL log_output = 'TABLE', long_query_time = 0, slow_query_log = 1")
	try:
		yield admin
	finally:
		with admin.cursor() as cur:
			cur.execute("SET GLOBAL slow_query_log = %s, log_output = %s, long_query_time = %s", before)
			cur.execute("TRUNCATE mysql.slow_log")
		admin.close()


def test_the_slow_log_table_is_read_per_fingerprint_with_p95_and_rows(private_mariadb, shop):
	"""log_output=TABLE: counts per fingerprint from mysql.slow_log, p95 and the rows ratio, this database only."""
	with logging_to_table(private_mariadb):
		run_workload(private_mariadb, shop)
		site = private_mariadb.connect(shop)
		found = top_queries(site, shop, since=0, limit=100)
		site.close()
	assert found["source"] == SLOW_LOG_TABLE
	assert found["executions"] >= sum(count for count, _ in WORKLOAD)
	counts = {q["fingerprint"]: q for q in found["queries"]}
	count_query = counts["select count(*) from items where qty > ?"]
	assert count_query["count"] == 25 and count_query["p95_time_s"] is not None
	assert count_query["rows_examined"] >= 25 * 399 and count_query["rows_flag"]
	assert count_query["tables"] == ["items"]


def test_performance_schema_digests_answer_when_no_slow_log_is_on(private_mariadb, shop):
	"""With the slow log off, digests of this database are grouped by fingerprint and said to have no p95."""
	admin = private_mariadb.connect()
	with admin.cursor() as cur:
		cur.execute("SELECT @@slow_query_log")
		(slow_log_on,) = cur.fetchone()
		cur.execute("SET GLOBAL slow_query_log = 0")
		cur.execute("TRUNCATE performance_schema.events_statements_summary_by_digest")
	try:
		run_workload(private_mariadb, shop)
		site = private_mariadb.connect(shop)
		found = top_queries(site, shop, limit=100)
		site.close()
	finally:
		with admin.cursor() as cur:
			cur.execute("SET GLOBAL slow_query_log = %s", (slow_log_on,))
		admin.close()
	assert found["source"] == DIGESTS
	by_fingerprint = {q["fingerprint"]: q for q in found["queries"]}
	assert by_fingerprint["select count(*) from items where qty > ?"]["count"] == 25
	assert by_fingerprint["update items set qty = qty + ? where id = ?"]["count"] == 30
	assert all(q["p95_time_s"] is None for q in found["queries"])
	assert any("no p95" in note for note in found["notes"])


def test_each_statement_gets_the_index_the_analysis_would_add(private_mariadb, shop):
	"""A filter on category and a range on qty wants (category, qty); a lookup by primary key wants nothing."""
	site = private_mariadb.connect(shop)
	queries = [
		{"example": "SELECT name FROM items WHERE category = 'c1' AND qty > 10", "fingerprint": ""},
		{"example": "SELECT name FROM items WHERE id = 3", "fingerprint": ""},
	]
	add_suggestions(site, shop, queries)
	site.close()
	wanted, covered = (q["suggested_index"] for q in queries)
	assert (wanted["table"], wanted["columns"]) == ("items", ["category", "qty"])
	assert wanted["ddl"].startswith("ALTER TABLE `items` ADD INDEX `category_qty_index`")
	assert covered is None


def test_the_slow_log_table_is_read_again_only_for_rows_logged_since_and_whole_after_a_truncate(
	private_mariadb, shop, monkeypatch
):
	"""A refresh fetches the new rows alone and answers as a cold read; an emptied table starts over."""
	fetched = []
	real = slow_log_table.rows_from
	monkeypatch.setattr(
		slow_log_table, "rows_from", lambda *args: fetched.append(len(rows := real(*args))) or rows
	)
	site = private_mariadb.connect()  # its own reads are logged without a database: not the shop's
	with logging_to_table(private_mariadb) as admin:
		slow_log_table.forget()
		run_workload(private_mariadb, shop)
		first = top_queries(site, shop, since=0, limit=100)
		run_workload(private_mariadb, shop)
		second = top_queries(site, shop, since=0, limit=100)
		slow_log_table.forget()
		cold = top_queries(site, shop, since=0, limit=100)
		with admin.cursor() as cur:
			cur.execute("TRUNCATE mysql.slow_log")
		run_workload(private_mariadb, shop)
		after_truncate = top_queries(site, shop, since=0, limit=100)
		slow_log_table.forget()
		cold_after = top_queries(site, shop, since=0, limit=100)
	site.close()
	slow_log_table.forget()
	workload = sum(count for count, _ in WORKLOAD)
	assert fetched[0] >= workload and workload <= fetched[1] < fetched[0] + workload, (
		"the refresh read the new rows alone"
	)
	assert first["executions"] == fetched[0]
	assert second["executions"] == cold["executions"] and second["queries"] == cold["queries"]
	assert len(fetched) == 6, "the emptied table was noticed (its kept rows did not come back) and read again"
	assert after_truncate["executions"] == cold_after["executions"] == fetched[-1]
	assert after_truncate["queries"] == cold_after["queries"]
