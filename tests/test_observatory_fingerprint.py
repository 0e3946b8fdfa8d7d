"""Fingerprints: executions that differ only in their values group together, names and shapes keep apart,
and any text at all gets a fingerprint."""

from hypothesis import given, settings
from hypothesis import strategies as st

from perf_engine.core.observatory.fingerprint import fingerprint, from_digest, quick_key, read_fingerprint
from perf_engine.core.observatory.tables import tables_named

values = st.one_of(
	st.integers(-(10**12), 10**12).map(str),
	st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda f: repr(abs(f))),
	st.text(
		alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="'\\\x00"), max_size=30
	).map(lambda t: f"'{t}'"),
	st.sampled_from(["NULL", "TRUE", "false", "0x1F"]),
)


@settings(max_examples=300, deadline=None)
@given(values, values, st.lists(values, min_size=1, max_size=40))
def test_statements_that_differ_only_in_values_share_a_fingerprint(first, second, listed):
	"""Literals, NULL, booleans and IN lists of any length are `?` and `(?+)`."""
	template = (
		"SELECT name FROM `tabSales Invoice` WHERE customer = {} AND grand_total > {} AND status IN ({})"
	)
	one = template.format(first, second, ", ".join(listed))
	other = template.format(second, first, "1")
	assert fingerprint(one) == fingerprint(other)
	assert (
		fingerprint(one)
		== "select name from `tabsales invoice` where customer = ? and grand_total > ? and status in (?+)"
	)


def test_names_with_digits_comments_limits_and_multi_row_inserts():
	"""`tab2` is not `tab3`; comments go; LIMIT forms are one; VALUES rows fold; a final `;` goes."""
	assert fingerprint("SELECT * FROM tab2 WHERE x = 1") != fingerprint("SELECT * FROM tab3 WHERE x = 1")
	assert fingerprint("/* a */ SELECT 1 -- b\n FROM t LIMIT 10, 20;") == fingerprint(
		"SELECT 2 FROM t LIMIT 5"
	)
	assert fingerprint("SELECT 1 FROM t LIMIT 10 OFFSET 20") == "select ? from t limit ?"
	assert fingerprint("INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y')") == "insert into t (a, b) values (?+)"
	assert (
		fingerprint("SELECT a FROM t WHERE b = 'it''s' AND c = \"q\"")
		== "select a from t where b = ? and c = ?"
	)


def test_a_digest_is_spelled_back_as_its_statements_are():
	"""A performance_schema digest and a logged execution of the same statement have one fingerprint."""
	digest = "SELECT `sleep` ( ? ) , `qty` FROM `items` WHERE `category` = ? AND `id` IN (...) LIMIT ?, ..."
	logged = "SELECT SLEEP(0.01), qty FROM items WHERE category = 'c1' AND id IN (1, 2, 3) LIMIT 5, 10"
	assert from_digest(digest) == fingerprint(logged)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=3000))
def test_any_text_has_a_fingerprint_and_its_tables(text):
	"""Unterminated quotes, comments, control characters: a fingerprint and a table list, never an error."""
	assert isinstance(fingerprint(text), str)
	assert isinstance(from_digest(text), str)
	assert len(tables_named(text)) <= 10


def test_tables_are_read_from_from_join_update_and_into():
	"""Backquoted names with spaces, schema-qualified names and joins, in order, once each."""
	sql = "UPDATE `tabToDo` t JOIN `site`.`tabUser` u ON u.name = t.owner SET t.x = 1 WHERE t.y IN (SELECT a FROM b)"
	assert tables_named(sql) == ["tabToDo", "tabUser", "b"]


pieces = st.one_of(
	values,
	st.sampled_from(
		[
			" ",
			"  ",
			"\n",
			"SELECT",
			"select",
			"FROM",
			"WHERE",
			"IN (",
			")",
			"(",
			",",
			"=",
			"-",
			"+",
			".",
			"1e5",
			"1E5",
			"0X1f",
			"tab2",
			"`tab 2`",
			"`it's`",
			'"x"',
			"'",
			'"',
			"`",
			"''",
			"--",
			"#",
			"/*",
			"*/",
			"\\",
			"é",
			"ǅ",
		]
	),
	st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8),
)


@settings(max_examples=2000, deadline=None)
@given(st.lists(pieces, max_size=25))
def test_the_quick_key_groups_every_statement_as_the_reader_does(parts):
	"""Property: one regex pass (strings, numbers as `?`) never changes a statement's group."""
	sql = "".join(parts)
	assert fingerprint(sql) == read_fingerprint.__wrapped__(sql)


def test_executions_of_one_plain_statement_share_one_quick_key():
	"""The cache holds one entry per shape, not one per execution's values."""
	one = "SELECT name FROM `tabToDo` WHERE owner = 'a@x.com' AND priority = 3 LIMIT 20"
	other = "SELECT name FROM `tabToDo` WHERE owner = 'b@y.org' AND priority = -7.5 LIMIT 40"
	assert quick_key(one) == quick_key(other) is not None
	assert quick_key("SELECT 'it''s'") is None and quick_key("SELECT 1 -- note") is None
