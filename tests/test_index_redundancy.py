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


def replay(db, found) -> None:
	"""Run every reported DDL exactly as written, as an operator applying them all would."""
	with db.cursor() as cur:
		for finding in found:
			cur.execute(finding["ddl"] if isinstance(finding, dict) else finding.ddl)


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
	replay(db, found.values())  # MyISAM's DDL says LOCK=SHARED: it cannot change an index online
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
	"""(a, b DESC) is not (a, b) but is (a DESC, b) read backwards; (a DESC) is a left prefix and goes."""
	make_table(
		db,
		"""CREATE TABLE dirs (id INT PRIMARY KEY, a INT, b INT,
		KEY ab (a, b), KEY ab_desc (a, b DESC), KEY a_desc (a DESC), KEY a_desc_b (a DESC, b))""",
		"INSERT INTO dirs SELECT seq, seq % 50, seq FROM seq_1_to_{rows}",
	)
	found = findings(db, database_name)
	assert set(found) == {"a_desc", "ab_desc"}
	assert found["a_desc"].reason == "left prefix of a_desc_b (a DESC, b)"
	assert found["ab_desc"].reason == "duplicate of a_desc_b (a DESC, b), read backwards"
	replay(db, found.values())
	assert used_key(db, "SELECT id FROM dirs WHERE a = 3 ORDER BY b DESC") in ("ab", "a_desc_b")
	assert used_key(db, "SELECT id FROM dirs WHERE a > 45 ORDER BY a DESC") is not None


def no_filesort(db, query: str) -> str | None:
	"""The key EXPLAIN uses for `query`, asserting MariaDB sorts by reading it rather than a filesort."""
	with db.cursor(pymysql.cursors.DictCursor) as cur:
		cur.execute("EXPLAIN " + query)
		row = cur.fetchone()
	assert "filesort" not in (row["Extra"] or ""), (query, row)
	return row["key"]


def test_a_fully_reversed_index_is_a_duplicate_and_mixed_directions_are_not(db, database_name):
	"""(a DESC) duplicates (a), (b DESC, c DESC) duplicates (b, c): the same index read backwards; (b, c DESC) stays."""
	make_table(
		db,
		"""CREATE TABLE rev (id INT PRIMARY KEY, a INT, b INT, c INT, KEY a_asc (a), KEY a_desc (a DESC),
		KEY bc (b, c), KEY bc_desc (b DESC, c DESC), KEY bc_mixed (b, c DESC))""",
		"INSERT INTO rev SELECT seq, seq, seq % 40, seq FROM seq_1_to_{rows}",
	)
	found = findings(db, database_name)
	assert set(found) == {"a_desc", "bc_desc"}
	assert found["a_desc"].reason == "duplicate of a_asc (a), read backwards"
	assert found["bc_desc"].reason == "duplicate of bc (b, c), read backwards"
	replay(db, found.values())
	assert index_names(db, database_name, "rev") == {"PRIMARY", "a_asc", "bc", "bc_mixed"}
	assert no_filesort(db, "SELECT id FROM rev WHERE a > 1990 ORDER BY a DESC") == "a_asc"
	assert no_filesort(db, "SELECT b, c FROM rev WHERE b = 3 ORDER BY c DESC") in ("bc", "bc_mixed")
	assert no_filesort(db, "SELECT b, c FROM rev WHERE b > 37 ORDER BY b DESC, c DESC") == "bc"
	assert no_filesort(db, "SELECT b, c FROM rev ORDER BY b DESC, c LIMIT 5") == "bc_mixed"


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


def test_when_a_foreign_key_needs_the_wider_of_two_twins_the_narrower_goes(db, database_name):
	"""(p) and (p, id) are twins on InnoDB; only (p, id) serves the key on (p, id), so it stays and (p) goes."""
	make_table(
		db,
		"CREATE TABLE target (p INT, id INT, PRIMARY KEY (p, id))",
		"INSERT INTO target SELECT seq % 50, seq FROM seq_1_to_{rows}",
	)
	make_table(
		db,
		"""CREATE TABLE source (id INT PRIMARY KEY, p INT, KEY p (p), KEY p_id (p, id),
		CONSTRAINT to_target FOREIGN KEY (p, id) REFERENCES target (p, id))""",
		"INSERT INTO source SELECT seq, seq % 50 FROM seq_1_to_{rows}",
	)
	found = findings(db, database_name)
	assert set(found) == {"p"} and found["p"].reason == "duplicate of p_id (p, id)"
	replay(db, found.values())
	assert index_names(db, database_name, "source") == {"PRIMARY", "p_id"}
	assert used_key(db, "SELECT id FROM source WHERE p = 7") == "p_id"
	with db.cursor() as cur, pytest.raises(pymysql.err.IntegrityError):
		cur.execute("INSERT INTO source VALUES (9001, 7)")  # to_target still enforces (7, 9001)


def test_twins_that_each_keep_a_constraint_both_stay(db, database_name):
	"""UNIQUE (p) and (p, id) are twins on InnoDB, but one alone makes p unique and only the other serves
	the foreign key on (p, id): neither is reported."""
	make_table(db, "CREATE TABLE target (p INT, id INT, PRIMARY KEY (p, id))")
	make_table(
		db,
		"""CREATE TABLE source (id INT PRIMARY KEY, p INT, UNIQUE KEY p (p), KEY p_id (p, id),
		CONSTRAINT to_target FOREIGN KEY (p, id) REFERENCES target (p, id))""",
	)
	assert findings(db, database_name) == {}


def test_foreign_keys_with_pairs_in_another_order_are_duplicates(db, database_name):
	"""(b, a) -> (y, x) beside (a, b) -> (x, y) is the same constraint: one is reported, the other still enforces."""
	make_table(db, "CREATE TABLE pair (x INT, y INT, PRIMARY KEY (x, y), KEY yx (y, x))")
	make_table(
		db,
		"""CREATE TABLE holder (id INT PRIMARY KEY, a INT, b INT, KEY ab (a, b), KEY ba (b, a),
		CONSTRAINT f_ab FOREIGN KEY (a, b) REFERENCES pair (x, y),
		CONSTRAINT f_ba FOREIGN KEY (b, a) REFERENCES pair (y, x))""",
	)
	with db.cursor() as cur:
		cur.execute("INSERT INTO pair SELECT seq, seq + 1 FROM seq_1_to_100")
		cur.execute("INSERT INTO holder SELECT seq, seq % 100 + 1, seq % 100 + 2 FROM seq_1_to_2000")
	found = findings(db, database_name)
	assert set(found) == {"f_ba"} and found["f_ba"].source == DUPLICATE_FOREIGN_KEY
	assert found["f_ba"].reason.startswith("duplicate of foreign key f_ab (a, b -> pair (x, y))")
	replay(db, found.values())
	assert [k.name for k in catalog.foreign_keys(db, database_name)] == ["f_ab"]
	with db.cursor() as cur, pytest.raises(pymysql.err.IntegrityError):
		cur.execute("INSERT INTO holder VALUES (9001, 2, 1)")  # (2, 1) is no pair; f_ab refuses it
