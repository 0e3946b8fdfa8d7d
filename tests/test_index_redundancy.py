"""Redundancy rules, each on a small schema of its own: what is reported, what never is, and,
after replaying the reported DDL, that the queries the kept indexes must serve still use one."""

import pymysql
import pytest

from perf_engine.core.indexes import catalog, redundant
from perf_engine.core.indexes.analysis import analyze
from perf_engine.core.indexes.redundant import DUPLICATE_FOREIGN_KEY

ROWS = 2000


def make_table(db, ddl: str, fill: str | None = None) -> None:
	"""Create a table and fill it with ROWS rows so the optimizer prefers an index to a scan."""
	with db.cursor() as cur:
		cur.execute(ddl)
		if fill:
			cur.execute(fill.format(rows=ROWS))
			cur.execute("ANALYZE TABLE " + ddl.split()[2])


def findings(db, database_name):
	"""Redundant findings of the test database, by index name."""
	found = redundant.redundant_findings(
		catalog.indexes(db, database_name),
		catalog.table_sizes(db, database_name),
		catalog.foreign_keys(db, database_name),
	)
	return {f.index_name: f for f in found}


ONLINE = ", ALGORITHM=INPLACE, LOCK=NONE"


def replay(db, found, online: bool = True) -> None:
	"""Run every reported DDL, as an operator applying them all would (offline where the engine cannot build online)."""
	with db.cursor() as cur:
		for finding in found:
			cur.execute(finding.ddl if online else finding.ddl.replace(ONLINE, ""))


def used_key(db, query: str) -> str | None:
	"""The index EXPLAIN says the query uses (None for a full scan)."""
	with db.cursor(pymysql.cursors.DictCursor) as cur:
		cur.execute("EXPLAIN " + query)
		return cur.fetchone()["key"]


def index_names(db, database_name, table: str) -> set[str]:
	return {i.name for i in catalog.indexes(db, database_name).get(table, [])}


def test_fulltext_is_duplicate_only_on_the_same_column_set(db, database_name):
	"""FULLTEXT(a) beside FULLTEXT(a, b) stays (no left prefix); FULLTEXT(b, a) duplicates (a, b)."""
	make_table(
		db,
		"""CREATE TABLE ft (id INT PRIMARY KEY, a VARCHAR(100), b VARCHAR(100),
		FULLTEXT KEY ft_a (a), FULLTEXT KEY ft_ab (a, b), FULLTEXT KEY ft_ba (b, a))""",
		"INSERT INTO ft SELECT seq, CONCAT('word', seq), CONCAT('other', seq) FROM seq_1_to_{rows}",
	)
	found = findings(db, database_name)
	assert set(found) == {"ft_ba"} and "duplicate of ft_ab" in found["ft_ba"].reason
	replay(db, found.values())
	with db.cursor() as cur:
		cur.execute("SELECT COUNT(*) FROM ft WHERE MATCH(a) AGAINST ('word7')")  # error 1191 without ft_a
		cur.execute("SELECT COUNT(*) FROM ft WHERE MATCH(a, b) AGAINST ('word7')")
	assert used_key(db, "SELECT id FROM ft WHERE MATCH(a) AGAINST ('word7')") == "ft_a"
	assert used_key(db, "SELECT id FROM ft WHERE MATCH(b, a) AGAINST ('word7')") == "ft_ab"


def test_spatial_is_duplicate_only_of_an_identical_spatial_index(db, database_name):
	"""Two SPATIAL indexes on one column: one goes; a B-tree on another column is never compared."""
	make_table(
		db,
		"""CREATE TABLE places (id INT PRIMARY KEY, pos POINT NOT NULL, label VARCHAR(20),
		SPATIAL KEY pos_1 (pos), SPATIAL KEY pos_2 (pos), KEY label (label))""",
		"INSERT INTO places SELECT seq, POINT(seq % 100, seq DIV 100), 'x' FROM seq_1_to_{rows}",
	)
	found = findings(db, database_name)
	assert set(found) == {"pos_2"}
	replay(db, found.values())
	query = "SELECT id FROM places WHERE MBRContains(ST_GeomFromText('POLYGON((1 1,1 3,3 3,3 1,1 1))'), pos)"
	assert used_key(db, query) == "pos_1"


@pytest.mark.parametrize(("engine", "dropped", "kept"), [("InnoDB", "a_id", "a"), ("MyISAM", "a", "a_id")])
def test_primary_key_suffix_counts_only_on_innodb(db, database_name, engine, dropped, kept):
	"""(a) and (a, id) are the same index on InnoDB (the narrower stays); on MyISAM (a) is only a left prefix."""
	make_table(
		db,
		f"CREATE TABLE pk (id INT PRIMARY KEY, a INT, b INT, KEY a (a), KEY a_id (a, id)) ENGINE={engine}",
		"INSERT INTO pk SELECT seq, seq % 300, seq FROM seq_1_to_{rows}",
	)
	found = findings(db, database_name)
	assert set(found) == {dropped}
	assert found[dropped].reason.startswith("duplicate of" if engine == "InnoDB" else "left prefix of")
	replay(db, found.values(), online=engine == "InnoDB")  # MyISAM refuses INPLACE
	assert index_names(db, database_name, "pk") == {"PRIMARY", kept}
	assert used_key(db, "SELECT id FROM pk WHERE a = 7 ORDER BY id") == kept


def test_prefix_lengths_are_respected(db, database_name):
	"""`name(10)` is served by `name` and by `name(20)`, never the other way round."""
	make_table(
		db,
		"""CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(100), code VARCHAR(100),
		KEY name_10 (name(10)), KEY name_full (name), KEY code_20 (code(20)), KEY code_10 (code(10)))""",
		"INSERT INTO people SELECT seq, CONCAT('person-', seq), CONCAT('code-', seq) FROM seq_1_to_{rows}",
	)
	found = findings(db, database_name)
	assert set(found) == {"name_10", "code_10"}
	assert "name_full (name)" in found["name_10"].reason and "code_20 (code(20))" in found["code_10"].reason
	replay(db, found.values())
	assert used_key(db, "SELECT id FROM people WHERE name = 'person-77'") == "name_full"
	assert used_key(db, "SELECT id FROM people WHERE code = 'code-77'") == "code_20"


def test_directions_are_respected(db, database_name):
	"""(a, b DESC) is not (a, b); (a DESC) is a left prefix of (a DESC, b) and goes."""
	make_table(
		db,
		"""CREATE TABLE dirs (id INT PRIMARY KEY, a INT, b INT,
		KEY ab (a, b), KEY ab_desc (a, b DESC), KEY a_desc (a DESC), KEY a_desc_b (a DESC, b))""",
		"INSERT INTO dirs SELECT seq, seq % 50, seq FROM seq_1_to_{rows}",
	)
	found = findings(db, database_name)
	assert set(found) == {"a_desc"}
	replay(db, found.values())
	assert used_key(db, "SELECT id FROM dirs WHERE a = 3 ORDER BY b DESC") in ("ab", "ab_desc")
	assert used_key(db, "SELECT id FROM dirs WHERE a > 45 ORDER BY a DESC") is not None


def test_unique_is_reported_only_while_another_key_enforces_it(db, database_name):
	"""A UNIQUE index goes only when another PRIMARY/UNIQUE key on a subset of its columns stays."""
	make_table(
		db,
		"""CREATE TABLE u (id INT PRIMARY KEY, a INT, b INT, c INT, d VARCHAR(40), e VARCHAR(40),
		UNIQUE KEY a_1 (a), UNIQUE KEY a_2 (a),
		UNIQUE KEY ab (a, b), KEY ab_wide (a, b, c),
		UNIQUE KEY c_only (c), KEY c_d (c, d),
		UNIQUE KEY d_10 (d(10)), UNIQUE KEY d_full (d),
		UNIQUE KEY id_again (id), KEY e (e))""",
		"INSERT INTO u SELECT seq, seq, seq, seq, CONCAT(seq, '-d'), 'e' FROM seq_1_to_{rows}",
	)
	found = findings(db, database_name)
	# a_2 duplicates a_1; ab is served by ab_wide and enforced by a_1; id_again duplicates PRIMARY.
	# c_only is the only key making c unique; d_full does not make d(10) unique, and d_10 cannot serve d.
	assert set(found) == {"a_2", "ab", "id_again"}
	replay(db, found.values())
	with db.cursor() as cur:
		for duplicate in ("(9001, 1, 9001, 9001, 'x', 'e')", "(9002, 9002, 9002, 1, 'y', 'e')"):
			with pytest.raises(pymysql.err.IntegrityError):
				cur.execute(f"INSERT INTO u VALUES {duplicate}")
	assert used_key(db, "SELECT id FROM u WHERE a = 5 AND b = 5") in ("a_1", "ab_wide")
	assert used_key(db, "SELECT c FROM u WHERE a = 5 AND b = 5 AND c = 5") is not None


def test_every_duplicate_of_a_group_but_one_is_reported_and_ranked(db, database_name):
	"""Three identical indexes give two drop findings, and the ranked analysis keeps both."""
	make_table(
		db,
		"CREATE TABLE trio (id INT PRIMARY KEY, a INT, KEY a1 (a), KEY a2 (a), KEY a3 (a))",
		"INSERT INTO trio SELECT seq, seq % 100 FROM seq_1_to_{rows}",
	)
	assert set(findings(db, database_name)) == {"a2", "a3"}
	ranked = [f for f in analyze(db, database_name, [])["findings"] if f["source"] == "redundant"]
	assert sorted(f["index_name"] for f in ranked) == ["a2", "a3"]
	assert len({f["key"] for f in ranked}) == 2
	replay(db, [f for f in findings(db, database_name).values()])
	assert used_key(db, "SELECT id FROM trio WHERE a = 7") == "a1"


def test_duplicate_foreign_keys_are_reported_and_their_last_index_kept(db, database_name):
	"""Of two equal foreign keys one is reported (DROP FOREIGN KEY); the index both use is never dropped."""
	make_table(db, "CREATE TABLE parent (id INT PRIMARY KEY, code INT, UNIQUE KEY code (code))")
	make_table(
		db,
		"""CREATE TABLE child (id INT PRIMARY KEY, parent_id INT, KEY parent_id (parent_id),
		CONSTRAINT fk_a FOREIGN KEY (parent_id) REFERENCES parent (id),
		CONSTRAINT fk_b FOREIGN KEY (parent_id) REFERENCES parent (id))""",
	)
	with db.cursor() as cur:
		cur.execute("INSERT INTO parent SELECT seq, seq FROM seq_1_to_100")
		cur.execute("INSERT INTO child SELECT seq, seq % 100 + 1 FROM seq_1_to_2000")
	found = findings(db, database_name)
	assert set(found) == {"fk_b"}
	duplicate = found["fk_b"]
	assert duplicate.source == DUPLICATE_FOREIGN_KEY and duplicate.foreign_key
	assert duplicate.ddl == "ALTER TABLE `child` DROP FOREIGN KEY `fk_b`" and duplicate.blocked_reason
	replay(db, [duplicate])
	with db.cursor() as cur, pytest.raises(pymysql.err.IntegrityError):
		cur.execute("INSERT INTO child VALUES (5000, 999)")  # fk_a still enforces the reference
	assert used_key(db, "SELECT id FROM child WHERE parent_id = 7") == "parent_id"


def test_the_last_index_a_foreign_key_can_use_is_never_reported(db, database_name):
	"""(p, id) duplicates (p) on InnoDB, but only (p, id) serves the key on (p, id): both stay."""
	make_table(db, "CREATE TABLE target (p INT, id INT, PRIMARY KEY (p, id))")
	make_table(
		db,
		"""CREATE TABLE source (id INT PRIMARY KEY, p INT, KEY p (p), KEY p_id (p, id),
		CONSTRAINT to_target FOREIGN KEY (p, id) REFERENCES target (p, id))""",
	)
	assert findings(db, database_name) == {}
