"""MariaDB's checks, each turned ok and warning by state the test makes on a mariadbd of its own:
variables set with SET GLOBAL (and put back), data, tables, temporary tables, joins and failed
logins made for real. The shared server is never judged: other processes change it."""

import contextlib
import math
import uuid
from collections.abc import Iterator

import pymysql
import pytest

from perf_engine.core.health import mariadb as mariadb_health
from perf_engine.core.health import mariadb_rules
from perf_engine.core.health.verdicts import size
from perf_engine.core.settings import Settings
from tests.services import MariaDBServer

SETTINGS = Settings()
MIB = 1024**2
# MariaDB 10.11 will not shrink the buffer pool below this.
SMALLEST_POOL = 6 * MIB
FILLER_ROWS = 2500
FILLER_ROW_BYTES = 4000
# More tables than the smallest table_definition_cache MariaDB allows (400) holds.
BENCH_TABLES = 420
SITE_TABLES = 5
FAILED_LOGINS = 5


def judged(conn: pymysql.Connection) -> dict[str, dict]:
	"""Every MariaDB check as perf_engine judges the server behind `conn`, by name."""
	facts = mariadb_health.read(conn)
	return {c["check"]: c for c in mariadb_rules.mariadb(facts, SETTINGS)["checks"]}


def run(conn: pymysql.Connection, *statements: str) -> list[tuple]:
	"""Execute each statement in turn; the last one's rows."""
	rows: list[tuple] = []
	with conn.cursor() as cur:
		for statement in statements:
			cur.execute(statement)
			rows = list(cur.fetchall())
	return rows


def variable(conn: pymysql.Connection, name: str) -> int:
	return int(run(conn, f"SELECT @@GLOBAL.{name}")[0][0])


@contextlib.contextmanager
def set_globals(conn: pymysql.Connection, *names: str) -> Iterator:
	"""Hands a setter for the named global variables; each is put back to its value before the test."""
	before = {name: variable(conn, name) for name in names}

	def set_global(name: str, value: int) -> None:
		run(conn, f"SET GLOBAL {name} = {int(value)}")

	try:
		yield set_global
	finally:
		for name, value in before.items():
			set_global(name, value)


@contextlib.contextmanager
def schema(server: MariaDBServer, tables: int = 0) -> Iterator[str]:
	"""A database of this test's own on `server`, with `tables` small InnoDB tables; dropped afterwards."""
	name = f"pe_health_{uuid.uuid4().hex[:8]}"
	admin = server.connect()
	try:
		run(admin, f"CREATE DATABASE `{name}`")
		run(admin, *(f"CREATE TABLE `{name}`.t{n} (id INT PRIMARY KEY)" for n in range(tables)))
		yield name
	finally:
		run(admin, f"DROP DATABASE IF EXISTS `{name}`")
		admin.close()


@pytest.fixture(scope="module")
def bench_of_tables(private_mariadb: MariaDBServer) -> Iterator[str]:
	"""A database with more tables than the smallest table_definition_cache: a bench of many sites."""
	with schema(private_mariadb, BENCH_TABLES) as name:
		yield name


@contextlib.contextmanager
def site_user(server: MariaDBServer, database: str) -> Iterator[pymysql.Connection]:
	"""A connection as a Frappe site's own database user: every right on its database, nothing global."""
	name, password = f"pe_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
	admin = server.connect()
	run(admin, f"CREATE USER '{name}'@'127.0.0.1' IDENTIFIED BY '{password}'")
	run(admin, f"GRANT ALL ON `{database}`.* TO '{name}'@'127.0.0.1'")
	conn = pymysql.connect(host="127.0.0.1", port=server.port, user=name, password=password, autocommit=True)
	try:
		yield conn
	finally:
		conn.close()
		run(admin, f"DROP USER '{name}'@'127.0.0.1'")
		admin.close()


def open_every_table(conn: pymysql.Connection, database: str) -> None:
	"""Open each table of `database` once, so the table and definition caches take them in."""
	names = [row[0] for row in run(conn, f"SHOW TABLES FROM `{database}`")]
	run(conn, *(f"SELECT * FROM `{database}`.`{table}`" for table in names))


def innodb_bytes(conn: pymysql.Connection) -> int:
	return int(run(conn, mariadb_health.INNODB_SIZE_SQL)[0][0])


def table_count(conn: pymysql.Connection) -> int:
	return int(run(conn, mariadb_health.TABLE_COUNT_SQL)[0][0])


def test_a_buffer_pool_smaller_than_the_innodb_data_warns(private_mariadb):
	"""With 10 MB of InnoDB data, a 6 MiB pool warns with the size to set and a pool above the data is ok;
	value and limit are bytes: the pool and the data."""
	admin = private_mariadb.connect()
	with schema(private_mariadb) as name, set_globals(admin, "innodb_buffer_pool_size") as set_global:
		run(
			admin,
			f"CREATE TABLE `{name}`.filler (id INT PRIMARY KEY, pad VARCHAR({FILLER_ROW_BYTES})) ENGINE=InnoDB",
			f"INSERT INTO `{name}`.filler SELECT seq, REPEAT('x', {FILLER_ROW_BYTES}) "
			f"FROM `{name}`.seq_1_to_{FILLER_ROWS}",
			f"ANALYZE TABLE `{name}`.filler",
		)
		data = innodb_bytes(admin)
		assert data > FILLER_ROWS * FILLER_ROW_BYTES
		set_global("innodb_buffer_pool_size", math.ceil(data / MIB) * MIB + 32 * MIB)
		pool = judged(admin)["buffer_pool_vs_data"]
		assert (pool["status"], pool["unit"]) == ("ok", "bytes")
		assert (pool["value"], pool["limit"]) == (variable(admin, "innodb_buffer_pool_size"), data)
		set_global("innodb_buffer_pool_size", SMALLEST_POOL)
		pool = judged(admin)["buffer_pool_vs_data"]
		assert (pool["status"], pool["value"], pool["limit"]) == ("warning", SMALLEST_POOL, data)
		assert f"SET GLOBAL innodb_buffer_pool_size = {math.ceil(data / MIB) * MIB}" in pool["action"]
		assert size(data) in pool["threshold"]
	admin.close()


def test_a_redo_log_under_a_fifth_of_the_buffer_pool_warns(private_mariadb):
	"""The redo log at half the pool is ok; the pool grown to six times the log (17 %) warns, naming a
	log of a quarter of the pool; the value is that percentage."""
	admin = private_mariadb.connect()
	redo = variable(admin, "innodb_log_file_size")
	with set_globals(admin, "innodb_buffer_pool_size") as set_global:
		set_global("innodb_buffer_pool_size", redo * 2)
		log = judged(admin)["redo_log_size"]
		assert (log["status"], log["value"], log["unit"], log["limit"]) == ("ok", 50, "%", 20)
		set_global("innodb_buffer_pool_size", redo * 6)
		log = judged(admin)["redo_log_size"]
		assert log["status"] == "warning"
		assert log["value"] == pytest.approx(100 / 6)
		assert f"SET GLOBAL innodb_log_file_size = {math.ceil(redo * 6 / 4 / MIB) * MIB}" in log["action"]
	admin.close()


def test_table_caches_smaller_than_the_tables_warn(private_mariadb, bench_of_tables):
	"""Against every table of the server (an administrator sees them all), a table_open_cache or
	table_definition_cache below the count warns with the size to set; one above it is ok."""
	admin = private_mariadb.connect()
	tables = table_count(admin)
	assert tables > BENCH_TABLES
	with set_globals(admin, "table_open_cache", "table_definition_cache") as set_global:
		for name in ("table_open_cache", "table_definition_cache"):
			set_global(name, 400)
			cache = judged(admin)[name]
			assert (cache["status"], cache["value"], cache["limit"], cache["unit"]) == (
				"warning",
				400,
				tables,
				"tables",
			)
			assert f"SET GLOBAL {name} = {math.ceil(tables / 100) * 100}" in cache["action"]
			set_global(name, tables + 100)
			cache = judged(admin)[name]
			assert (cache["status"], cache["value"]) == ("ok", tables + 100)
			assert "every database" in cache["threshold"]
	admin.close()


def test_a_site_user_sees_its_own_tables_and_a_full_cache_still_warns(private_mariadb, bench_of_tables):
	"""A site's database user counts only the tables it can read; when other databases' tables fill
	the definition or table cache it warns all the same, and with room in the cache it is ok."""
	admin = private_mariadb.connect()
	with (
		schema(private_mariadb, SITE_TABLES) as own,
		site_user(private_mariadb, own) as site,
		set_globals(admin, "table_open_cache", "table_definition_cache") as set_global,
	):
		facts = mariadb_health.read(site)
		assert facts["tables_complete"] is False
		assert facts["tables"] == table_count(site) < table_count(admin) - BENCH_TABLES
		set_global("table_definition_cache", 400)
		set_global("table_open_cache", 100)
		open_every_table(admin, bench_of_tables)
		checks = judged(site)
		for name in ("table_open_cache", "table_definition_cache"):
			assert checks[name]["value"] > checks[name]["limit"]
			assert checks[name]["status"] == "warning", checks[name]
			assert "full" in checks[name]["reason"]
			assert "databases this user can read" in checks[name]["threshold"]
		set_global("table_definition_cache", 4 * BENCH_TABLES)
		set_global("table_open_cache", 4 * BENCH_TABLES)
		checks = judged(site)
		assert [checks[name]["status"] for name in ("table_open_cache", "table_definition_cache")] == [
			"ok",
			"ok",
		]
	assert mariadb_health.read(admin)["tables_complete"] is True
	admin.close()


def test_temporary_tables_on_disk_warn_past_a_quarter(fresh_mariadb):
	"""GROUP BY on an integer builds its temporary table in memory: ok; DISTINCT over a TEXT column
	writes it to disk, and past 25 % of all the check warns naming tmp_table_size; value in %."""
	conn = fresh_mariadb.connect()
	run(
		conn,
		"CREATE DATABASE pe_tmp",
		"CREATE TABLE pe_tmp.notes (id INT, body TEXT)",
		"INSERT INTO pe_tmp.notes SELECT seq, CONCAT('note ', seq) FROM pe_tmp.seq_1_to_100",
	)
	run(conn, *["SELECT id, COUNT(*) FROM pe_tmp.notes GROUP BY id"] * 20)
	tmp = judged(conn)["tmp_disk_tables"]
	assert (tmp["status"], tmp["unit"], tmp["limit"]) == ("ok", "%", 25)
	assert tmp["value"] <= 25
	facts = mariadb_health.read(conn)
	on_disk = math.ceil((facts["tmp_tables"] / 4 - facts["tmp_disk_tables"]) / 0.75) + 20
	run(conn, *["SELECT DISTINCT body FROM pe_tmp.notes"] * on_disk)
	facts = mariadb_health.read(conn)
	tmp = mariadb_rules.tmp_disk_tables(facts)
	assert tmp["status"] == "warning"
	assert tmp["value"] == pytest.approx(100 * facts["tmp_disk_tables"] / facts["tmp_tables"])
	assert tmp["value"] > 25
	assert "SET GLOBAL tmp_table_size = 33554432, max_heap_table_size = 33554432" in tmp["action"]
	conn.close()


def test_joins_without_indexes_warn_past_250_a_day(fresh_mariadb):
	"""A join on an indexed column is ok; one that reads a whole table for each row (Select_full_join)
	is, on a server up for seconds, thousands a day: a warning naming log_queries_not_using_indexes."""
	conn = fresh_mariadb.connect()
	run(
		conn,
		"CREATE DATABASE pe_joins",
		"CREATE TABLE pe_joins.parent (id INT PRIMARY KEY, code INT)",
		"CREATE TABLE pe_joins.child (id INT PRIMARY KEY, parent INT, code INT, KEY (parent))",
		"INSERT INTO pe_joins.parent SELECT seq, seq FROM pe_joins.seq_1_to_50",
		"INSERT INTO pe_joins.child SELECT seq, seq, seq FROM pe_joins.seq_1_to_50",
		"SELECT COUNT(*) FROM pe_joins.parent p JOIN pe_joins.child c ON c.parent = p.id",
	)
	joins = judged(conn)["joins_without_indexes"]
	assert (joins["status"], joins["value"], joins["unit"], joins["limit"]) == ("ok", 0, "joins a day", 250)
	run(conn, "SELECT COUNT(*) FROM pe_joins.parent p JOIN pe_joins.child c ON c.code = p.code")
	facts = mariadb_health.read(conn)
	joins = mariadb_rules.joins_without_indexes(facts)
	assert facts["joins_without_indexes"] == 1
	assert joins["status"] == "warning"
	assert joins["value"] == 86400 / max(facts["uptime_s"], 1)
	assert "extrapolated" in joins["reason"]
	assert "log_queries_not_using_indexes = ON" in joins["action"]
	conn.close()


def test_aborted_connection_attempts_warn_past_three_percent(fresh_mariadb):
	"""With every login good the check is ok at 0 %; failed logins past 3 % of attempts warn, naming
	log_warnings = 4 to log why; the value is their share in %."""
	conn = fresh_mariadb.connect()
	aborted = judged(conn)["aborted_connects"]
	assert (aborted["status"], aborted["value"], aborted["unit"], aborted["limit"]) == ("ok", 0, "%", 3)
	for _ in range(FAILED_LOGINS):
		with pytest.raises(pymysql.OperationalError):
			pymysql.connect(host="127.0.0.1", port=fresh_mariadb.port, user="root", password="wrong")
	facts = mariadb_health.read(conn)
	aborted = mariadb_rules.aborted_connects(facts)
	assert facts["aborted_connects"] == FAILED_LOGINS
	assert aborted["status"] == "warning"
	assert aborted["value"] == pytest.approx(100 * FAILED_LOGINS / facts["connections"])
	assert "Set log_warnings = 4 (now 2)" in aborted["action"]
	conn.close()


def test_every_check_has_its_value_in_its_thresholds_unit(fresh_mariadb):
	"""Each check's value and limit are numbers in the unit its threshold is written in; slow queries are
	judged and shown as a share of queries, no longer a rate beside a percentage."""
	conn = fresh_mariadb.connect()
	run(conn, "SET SESSION long_query_time = 0", "SELECT 1", "SELECT 2")
	checks = judged(conn)
	assert list(checks) == [judge.__name__ for judge in mariadb_rules.CHECKS]
	for check in checks.values():
		assert isinstance(check["value"], int | float) and isinstance(check["limit"], int | float), check
		assert check["status"] in ("ok", "warning"), check
		unit_in_words = {
			"%": f"{check['limit']:g}%",
			"bytes": size(check["limit"]),
			"tables": f"{check['limit']} tables",
			"joins a day": f"{check['limit']} joins without indexes a day",
		}[check["unit"]]
		assert unit_in_words in check["threshold"], check
	facts = mariadb_health.read(conn)
	slow = mariadb_rules.slow_queries(facts)
	assert slow["value"] == pytest.approx(100 * facts["slow_queries"] / facts["questions"])
	assert slow["value"] > 0
	assert f"{slow['value'] / 100:.1%} of queries slower" in slow["reason"]
	conn.close()
