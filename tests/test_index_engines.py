"""Index changes on engines that cannot change an index online (Aria, MyISAM): the finding says it
locks the table and when to run it, and apply runs the lock mode the engine supports, for real."""

import pytest

from perf_engine.core.indexes import apply, recommendation
from perf_engine.core.indexes.analysis import analyze
from perf_engine.core.indexes.recommendation import DROP
from tests.test_index_redundancy import index_names, make_table, used_key

LOCKING_ENGINES = ("Aria", "MyISAM")


@pytest.mark.parametrize("engine", LOCKING_ENGINES)
def test_a_drop_that_cannot_run_online_says_so_and_applies_with_a_shared_lock(db, database_name, engine):
	"""The finding's DDL is ALGORITHM=COPY, LOCK=SHARED with a note saying why and when; apply runs exactly that."""
	make_table(
		db,
		f"CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, KEY ka (a), KEY kab (a, b)) ENGINE={engine}",
		"INSERT INTO t SELECT seq, seq % 300, seq FROM seq_1_to_{rows}",
	)
	found = next(f for f in analyze(db, database_name, [])["findings"] if f["index_name"] == "ka")
	assert found["ddl"] == f"ALTER TABLE `t` DROP INDEX `ka`, {recommendation.LOCKING}"
	note = found["lock_note"]
	assert engine in note and "LOCK=NONE" in note and "LOCK=SHARED" in note and "quiet time" in note
	assert not found["blocked_reason"], "a locking drop is still offered"
	outcome = apply.apply(db, database_name, "t", ("a",), "ka", kind=DROP)
	assert (outcome.status, outcome.statement) == ("Applied", found["ddl"]), outcome.message
	assert index_names(db, database_name, "t") == {"PRIMARY", "kab"}
	assert used_key(db, "SELECT id FROM t WHERE a = 7") == "kab"


def test_an_add_on_aria_applies_with_a_shared_lock(db, database_name):
	"""Building an index on an Aria table runs with the lock Aria supports, and the index is there after."""
	make_table(
		db,
		"CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT) ENGINE=Aria",
		"INSERT INTO t SELECT seq, seq % 300, seq FROM seq_1_to_{rows}",
	)
	outcome = apply.apply(db, database_name, "t", ("a", "b"), "a_b_index")
	assert outcome.status == "Applied", outcome.message
	assert outcome.statement == f"ALTER TABLE `t` ADD INDEX `a_b_index` (`a`, `b`), {recommendation.LOCKING}"
	assert used_key(db, "SELECT id FROM t WHERE a = 7 AND b = 7") == "a_b_index"


def test_innodb_changes_stay_online_with_no_note(db, database_name):
	"""On InnoDB the same drop is ALGORITHM=INPLACE, LOCK=NONE and carries no locking note."""
	make_table(
		db,
		"CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, KEY ka (a), KEY kab (a, b)) ENGINE=InnoDB",
		"INSERT INTO t SELECT seq, seq % 300, seq FROM seq_1_to_{rows}",
	)
	found = next(f for f in analyze(db, database_name, [])["findings"] if f["index_name"] == "ka")
	assert found["ddl"].endswith(f", {recommendation.ONLINE}") and found["lock_note"] == ""
