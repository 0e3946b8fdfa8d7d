"""MariaDB's IGNORED indexes (10.6+): the optimizer uses them for no query, so one never makes
another redundant; each is shown with what dropping it and un-ignoring it would do, and those
claims are checked against the server after the change is made."""

import re
import shutil
import subprocess

import pymysql
import pytest

from perf_engine.core.errors import InvalidInput
from perf_engine.core.indexes import apply, catalog, redundant
from perf_engine.core.indexes.analysis import analyze, current_drops
from perf_engine.core.indexes.recommendation import DROP
from perf_engine.core.indexes.redundant import IGNORED
from tests.services import mariadb_settings
from tests.test_index_redundancy import findings, index_names, make_table, replay, used_key

FILL = "INSERT INTO t SELECT seq, seq % 300, seq % 7 FROM seq_1_to_{rows}"
PEER_TIMEOUT_S = 60
LOOKUPS = (
	"SELECT id FROM t WHERE a = 7",
	"SELECT id FROM t WHERE a = 7 AND b = 3",
	"SELECT id FROM t WHERE a = 7 ORDER BY b",
)


def make_ignored_wider(db) -> None:
	"""The issue's table: ka (a) visible, kab (a, b) IGNORED."""
	make_table(
		db, "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, KEY ka (a), KEY kab (a, b) IGNORED)", FILL
	)


def plans(db, queries=LOOKUPS) -> list[tuple]:
	"""How MariaDB would run each query: access type, key and extra (row estimates left out)."""
	found = []
	with db.cursor(pymysql.cursors.DictCursor) as cur:
		for query in queries:
			cur.execute("EXPLAIN " + query)
			row = cur.fetchone()
			found.append((row["type"], row["key"], row["Extra"]))
	return found


def test_ignored_is_read_from_the_catalog(db, database_name):
	"""The catalog reads IGNORED per index; an IGNORED index covers no lookup, though it still leads a key."""
	make_ignored_wider(db)
	by_name = {i.name: i for i in catalog.indexes(db, database_name)["t"]}
	assert (by_name["ka"].ignored, by_name["kab"].ignored, by_name["PRIMARY"].ignored) == (False, True, False)
	assert catalog.covered(("a", "b"), [by_name["kab"]]) is None
	assert catalog.led_by(("a", "b"), [by_name["kab"]]) == by_name["kab"]
	assert catalog.covered(("a",), list(by_name.values())) == by_name["ka"]


def test_an_ignored_index_never_covers_another(db, database_name):
	"""With kab (a, b) IGNORED, ka (a) is never proposed: after every reported drop, a = ? still uses ka."""
	make_ignored_wider(db)
	found = findings(db, database_name)
	assert "ka" not in found
	assert "ka" not in current_drops(db, database_name, "t", [])
	replay(db, found.values())
	assert "ka" in index_names(db, database_name, "t")
	assert used_key(db, "SELECT id FROM t WHERE a = 7") == "ka"


def test_an_ignored_index_is_shown_with_what_dropping_or_unignoring_it_would_do(db, database_name):
	"""kab IGNORED is a finding: a drop changes no plan, un-ignoring makes ka redundant; both claims hold."""
	make_ignored_wider(db)
	result = analyze(db, database_name, [])
	shown = next(f for f in result["findings"] if f["index_name"] == "kab")
	assert (shown["kind"], shown["source"], shown["blocked_reason"]) == (DROP, IGNORED, "")
	evidence = shown["evidence"]
	assert evidence["ignored"] and evidence["would_make_redundant"] == ["ka"]
	assert "changes no query plan" in evidence["if_dropped"]
	assert "ka (a)" in evidence["if_unignored"] and "kab (a, b)" in evidence["if_unignored"]
	assert evidence["if_dropped"] in shown["reason"] and evidence["if_unignored"] in shown["reason"]
	assert any("1 index(es) are IGNORED" in note for note in result["notes"])
	with db.cursor() as cur:
		cur.execute("ALTER TABLE t ALTER INDEX kab NOT IGNORED")
		unignored = findings(db, database_name)
		cur.execute("ALTER TABLE t ALTER INDEX kab IGNORED")
	assert set(unignored) == {"ka"} and unignored["ka"].reason.startswith("left prefix of kab (a, b)")
	before = plans(db)
	replay(db, [shown])
	assert "kab" not in index_names(db, database_name, "t")
	assert plans(db) == before


def test_an_ignored_index_a_visible_one_serves_is_still_redundant(db, database_name):
	"""ka IGNORED on trial beside kab: still a redundant drop (so the trial can end in a drop or a restore)."""
	make_table(
		db, "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, KEY ka (a) IGNORED, KEY kab (a, b))", FILL
	)
	found = findings(db, database_name)
	assert set(found) == {"ka"} and found["ka"].source == "redundant"
	assert found["ka"].reason.startswith("left prefix of kab (a, b)") and "IGNORED" in found["ka"].reason
	assert found["ka"].evidence["ignored"]
	assert "ka" in current_drops(db, database_name, "t", [])
	before = plans(db)
	replay(db, found.values())
	assert plans(db) == before and used_key(db, "SELECT id FROM t WHERE a = 7") == "kab"


def test_an_ignored_index_a_constraint_needs_is_shown_but_never_offered(db, database_name):
	"""An IGNORED sole-enforcer UNIQUE and an IGNORED last foreign-key index: listed, blocked, refused, still enforcing."""
	make_table(
		db, "CREATE TABLE parent (id INT PRIMARY KEY)", "INSERT INTO parent SELECT seq FROM seq_1_to_100"
	)
	make_table(
		db,
		"""CREATE TABLE child (id INT PRIMARY KEY, parent_id INT, code INT,
		KEY parent_id (parent_id) IGNORED, UNIQUE KEY code (code) IGNORED,
		CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES parent (id))""",
		"INSERT INTO child SELECT seq, seq % 100 + 1, seq FROM seq_1_to_{rows}",
	)
	found = findings(db, database_name)
	assert set(found) == {"parent_id", "code"}
	assert {f.source for f in found.values()} == {IGNORED}
	assert "last index foreign key child_parent" in found["parent_id"].blocked_reason
	assert "only key enforcing" in found["code"].blocked_reason
	assert all("NOT IGNORED" in f.blocked_reason for f in found.values())
	for name, columns in (("parent_id", ("parent_id",)), ("code", ("code",))):
		with pytest.raises(InvalidInput, match="never dropped"):
			apply.apply(db, database_name, "child", columns, name, kind=DROP)
	with db.cursor() as cur:
		for row in ("(9001, 1, 7)", "(9002, 999, 9002)"):
			with pytest.raises(pymysql.err.IntegrityError):
				cur.execute(f"INSERT INTO child VALUES {row}")


def test_usage_is_never_the_reason_given_for_an_ignored_index(db, database_name):
	"""With userstat on, an unused visible index is an unused finding; an IGNORED one (used by nothing, by
	construction) is not: its IGNORED finding says what dropping it would do instead."""
	make_ignored_wider(db)
	with db.cursor() as cur:
		cur.execute("SELECT @@global.userstat")
		saved = cur.fetchone()[0]
		cur.execute("SET GLOBAL userstat = 1")
	try:
		unused, _ = redundant.unused_findings(db, database_name, catalog.indexes(db, database_name), {})
		result = analyze(db, database_name, [])
	finally:
		with db.cursor() as cur:
			cur.execute("SET GLOBAL userstat = %s", (saved,))
	assert {f.index_name for f in unused} == {"ka"}
	assert [f["source"] for f in result["findings"] if f["index_name"] == "kab"] == [IGNORED]


def peer_drops(database_name: str) -> set[str]:
	"""The indexes pt-duplicate-key-checker (Debian's percona-toolkit) would drop in this database."""
	tool = shutil.which("pt-duplicate-key-checker")
	if not tool:
		raise RuntimeError("pt-duplicate-key-checker not found: install percona-toolkit (.ci/run does)")
	settings = mariadb_settings()
	dsn = f"h={settings.db_host},P={settings.db_port},u={settings.db_user}"
	dsn += f",p={settings.db_password}" if settings.db_password else ""
	report = subprocess.run(
		[tool, dsn, "--databases", database_name], capture_output=True, text=True, timeout=PEER_TIMEOUT_S
	)
	assert report.returncode == 0, report.stderr
	return set(re.findall(r"DROP INDEX `([^`]+)`", report.stdout))


def test_beside_pt_duplicate_key_checker_an_ignored_index_leaves_its_prefix_alone(db, database_name):
	"""pt-duplicate-key-checker 3.2.1 drops ka as a left prefix of the IGNORED kab, and a = ? then scans the
	table; perf_engine keeps ka, and a = ? still uses it after everything it reports is dropped."""
	make_ignored_wider(db)
	assert "ka" in peer_drops(database_name)
	replay(db, findings(db, database_name).values())
	assert used_key(db, "SELECT id FROM t WHERE a = 7") == "ka"
	with db.cursor() as cur:
		cur.execute("ALTER TABLE t DROP INDEX ka")  # what the peer's report says to run
	assert used_key(db, "SELECT id FROM t WHERE a = 7") is None, "the peer's drop leaves a full scan"
