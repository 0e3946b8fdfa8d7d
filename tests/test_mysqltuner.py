"""perf_engine beside MySQLTuner (Debian's mysqltuner) on the same server: where MySQLTuner gives a figure
for a check both make, the figures agree; where it dies (1.9.9 divides by a zero
innodb_buffer_pool_chunk_size on MariaDB 10.11), perf_engine still answers every check."""

import re
import shutil
import subprocess

import pymysql
import pytest

from perf_engine.core.health import mariadb as mariadb_health
from perf_engine.core.health import mariadb_rules
from perf_engine.core.settings import Settings

MYSQLTUNER = shutil.which("mysqltuner")
pytestmark = pytest.mark.skipif(
	MYSQLTUNER is None, reason="mysqltuner is not installed: apt-get install mysqltuner (.ci/run installs it)"
)
MYSQLTUNER_TIMEOUT_S = 300
# Plain output; no dictionary of passwords tried against the accounts (it has no bearing here).
OPTIONS = ("--nocolor", "--skippassword")
DIED = "Illegal division by zero"
# MySQLTuner's lines for the checks both make: its verdict ([OK] or [!!]) and its figures.
LINES = {
	"tmp_disk_tables": r"Temporary tables created on disk: (\d+)% \((\d+) on disk / (\d+) total\)",
	"joins_without_indexes": r"Joins performed without indexes: (\d+)",
	"table_cache_hit_rate": r"Table cache hit rate: (\d+)% \((\d+) hits / (\d+) requests\)",
	"table_definition_cache": r"table_definition_cache \((\d+)\) is \w+ than number of tables \((\d+)\)",
	"aborted_connects": r"Aborted connections: ([\d.]+)%\s+\((\d+)/(\d+)\)",
	"slow_queries": r"Slow queries: (\d+)% \((\d+)/(\d+)\)",
	"connections": r"Highest usage of available connections: (\d+)% \((\d+)/(\d+)\)",
	"buffer_pool_vs_data": r"InnoDB buffer pool / data size: ([\d.]+[BKMG])/([\d.]+[BKMG])",
	"redo_log_size": r"Ratio InnoDB log file size / InnoDB Buffer pool size \(([\d.]+)%\)",
}
# Lines MySQLTuner prints after the InnoDB section it dies in.
AFTER_ITS_DEATH = ("InnoDB Read buffer efficiency", "Variables to adjust")
DISK_TEMPORARY_TABLES = 40
FAILED_LOGINS = 2
FILLER_ROWS = 500
PERCENT = 100
KIB = 1024


def hr_bytes(count: int) -> str:
	"""A size as MySQLTuner writes it: one decimal of the largest unit under it."""
	for unit, scale in (("G", KIB**3), ("M", KIB**2), ("K", KIB)):
		if count >= scale:
			return f"{count / scale:.1f}{unit}"
	return f"{count}B"


def mysqltuner(port: int) -> subprocess.CompletedProcess:
	return subprocess.run(
		[MYSQLTUNER, "--host", "127.0.0.1", "--port", str(port), "--user", "root", "--pass", "", *OPTIONS],
		capture_output=True,
		text=True,
		stdin=subprocess.DEVNULL,
		timeout=MYSQLTUNER_TIMEOUT_S,
	)


def their_lines(output: str) -> dict[str, tuple[bool, tuple[str, ...]]]:
	"""Each shared check MySQLTuner printed: whether it flagged it ([!!]) and the figures it gave."""
	found = {}
	for name, pattern in LINES.items():
		if match := re.search(rf"^\[(OK|!!)\] {pattern}", output, re.MULTILINE):
			found[name] = (match.group(1) == "!!", match.groups()[1:])
	return found


def between(before: dict, theirs: int, after: dict, figure: str) -> bool:
	"""A counter MySQLTuner read from the server lies between perf_engine's readings before and after it."""
	return before[figure] <= theirs <= after[figure]


def make_traffic(server) -> None:
	"""Temporary tables on disk, a join without an index, failed logins and InnoDB data on `server`."""
	conn = server.connect()
	with conn.cursor() as cur:
		cur.execute("CREATE DATABASE pe_peer")
		cur.execute("CREATE TABLE pe_peer.notes (id INT PRIMARY KEY, code INT, body TEXT)")
		cur.execute(
			f"INSERT INTO pe_peer.notes SELECT seq, seq, REPEAT('x', 4000) FROM pe_peer.seq_1_to_{FILLER_ROWS}"
		)
		cur.execute("ANALYZE TABLE pe_peer.notes")
		for _ in range(DISK_TEMPORARY_TABLES):
			cur.execute("SELECT DISTINCT body FROM pe_peer.notes")
		cur.execute("SELECT COUNT(*) FROM pe_peer.notes a JOIN pe_peer.notes b ON a.code = b.code")
	conn.close()
	for _ in range(FAILED_LOGINS):
		with pytest.raises(pymysql.OperationalError, match="Access denied"):
			pymysql.connect(host="127.0.0.1", port=server.port, user="root", password="wrong")


def test_perf_engine_answers_every_check_and_agrees_with_mysqltuner(fresh_mariadb):
	"""On one server: MySQLTuner's figures for temporary tables, joins, the table caches, aborted and slow
	queries, connections, the buffer pool and the redo log equal perf_engine's (counters between its
	readings before and after), so do the verdicts of the rules both apply; every check MySQLTuner
	never reaches because it died, perf_engine answers, each warning with its action."""
	make_traffic(fresh_mariadb)
	conn = fresh_mariadb.connect()
	before = mariadb_health.read(conn)
	tuner = mysqltuner(fresh_mariadb.port)
	after = mariadb_health.read(conn)
	theirs = their_lines(tuner.stdout)
	assert set(theirs) == set(LINES), tuner.stdout
	ours = {c["check"]: c for c in mariadb_rules.mariadb(before, Settings())["checks"]}

	flagged, (pct, disk, total) = theirs["tmp_disk_tables"]
	assert between(before, int(disk), after, "tmp_disk_tables")
	assert between(before, int(total), after, "tmp_tables")
	assert int(mariadb_health.share(int(disk), int(total)) * PERCENT) == int(pct)
	assert flagged and ours["tmp_disk_tables"]["status"] == "warning"

	flagged, (joins,) = theirs["joins_without_indexes"]
	assert between(before, int(joins), after, "joins_without_indexes")
	assert flagged and ours["joins_without_indexes"]["status"] == "warning"

	_, (pct, hits, requests) = theirs["table_cache_hit_rate"]
	assert between(before, int(hits), after, "table_open_cache_hits")
	assert before["table_open_cache_hits"] + before["table_open_cache_misses"] <= int(requests)
	assert int(requests) <= after["table_open_cache_hits"] + after["table_open_cache_misses"]
	assert int(mariadb_health.share(int(hits), int(requests)) * PERCENT) == int(pct)

	flagged, (cache, tables) = theirs["table_definition_cache"]
	assert (int(cache), int(tables)) == (before["table_definition_cache"], before["tables"])
	assert flagged == (ours["table_definition_cache"]["status"] == "warning")

	flagged, (pct, aborted, connections) = theirs["aborted_connects"]
	assert between(before, int(aborted), after, "aborted_connects")
	assert between(before, int(connections), after, "connections")
	assert f"{mariadb_health.share(int(aborted), int(connections)) * PERCENT:.2f}" == pct
	assert flagged and ours["aborted_connects"]["status"] == "warning"

	flagged, (pct, slow, questions) = theirs["slow_queries"]
	assert between(before, int(slow), after, "slow_queries")
	assert between(before, int(questions), after, "questions")
	assert flagged == (ours["slow_queries"]["status"] == "warning")

	flagged, (pct, peak, limit) = theirs["connections"]
	assert between(before, int(peak), after, "max_used_connections")
	assert int(limit) == before["max_connections"]
	assert flagged == (ours["connections"]["status"] == "warning")

	flagged, (pool, data) = theirs["buffer_pool_vs_data"]
	sys_innodb = their_extra_sys_tables(conn)
	assert (pool, data) == (
		hr_bytes(before["buffer_pool_bytes"]),
		hr_bytes(before["innodb_data_bytes"] + sys_innodb),
	)
	assert flagged == (ours["buffer_pool_vs_data"]["status"] == "warning")

	_, (pct,) = theirs["redo_log_size"]
	assert float(pct) == pytest.approx(ours["redo_log_size"]["value"])

	for check in ours.values():
		assert check["value"] is not None and check["status"] in ("ok", "warning", "critical"), check
		assert bool(check["action"]) == (check["status"] != "ok"), check
	if DIED in tuner.stderr:
		assert not any(line in tuner.stdout for line in AFTER_ITS_DEATH)
		assert 0 <= ours["buffer_pool_hit_ratio"]["value"] <= PERCENT
	conn.close()


def their_extra_sys_tables(conn) -> int:
	"""InnoDB bytes of sys' own tables (sys_config), which MySQLTuner counts as data and perf_engine,
	leaving the system schemas out, does not."""
	with conn.cursor() as cur:
		cur.execute(
			"SELECT COALESCE(SUM(data_length + index_length), 0) FROM information_schema.TABLES "
			"WHERE table_schema = 'sys' AND table_type = 'BASE TABLE' AND engine = 'InnoDB'"
		)
		return int(cur.fetchone()[0])
