"""Property-based: every public function of the SQL and slow-log readers ends on any text,
random or adversarial (real statements cut or spliced, junk, deep nesting, sqlglot's own weak
spots), within a bounded time and memory, and never fails in its own layer: each statement gets
a reading or a reason, and one statement the reader refuses never stops the analysis or the list
guard reading the others.

The bounds are guards against hangs and runaway memory (the old reader looped forever on an
unterminated backtick, growing 50 MB/s), not speed goals: those live in benchmarks/.
"""

import contextlib
import signal
import tracemalloc
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from perf_engine.core.errors import UnreadableStatement
from perf_engine.core.indexes import catalog, slow_log, sql, sql_text, workload
from perf_engine.core.indexes.plan import read_plan
from perf_engine.core.query import list_guard, unbounded
from tests.services import connect_database, temporary_database
from tests.sql_corpus import CASES

TIME_LIMIT_S = 20  # a hang, not a slow run: one call on the largest input takes well under a second
MEMORY_LIMIT_BYTES = 128 * 1024 * 1024
MAX_TEXT = sql_text.MAX_STATEMENT_CHARS + 200
# Statements sqlglot itself once failed on with errors other than ParseError.
SQLGLOT_SLIPS = [
	"SELECT DATE_SUB(NOW())",
	"SELECT name FROM t WHERE a > DATE_SUB(",
	"SELECT name FROM t WHERE a > DATE_SUB(NOW(), ",
	"SHOW FULL",
]

TOKENS = [
	"SELECT", "FROM", "WHERE", "AND", "OR", "XOR", "NOT", "IN", "LIKE", "BETWEEN", "IS", "NULL", "EXISTS",
	"JOIN", "LEFT JOIN", "ON", "USING", "UNION", "ALL", "WITH", "AS", "ORDER BY", "GROUP BY", "HAVING",
	"LIMIT", "UPDATE", "SET", "DELETE", "INSERT INTO", "VALUES", "SHOW", "CASE", "WHEN", "THEN", "END",
	"INTERVAL 7 DAY", "NOW()", "ifnull(", "(", ")", "((", "))", ",", ".", ";", "=", "<", ">=", "<=>", "!=",
	"`", "``", "'", "''", '"', "\\", "\\'", "/*", "*/", "/*+", "-- ", "--", "#", "\n", "\t", " ",
	"%s", "%(name)s", "%", "%%", "?", "...", "(...)", "? , ...", "\x00", "1", "-1", "1.5", "'%x'",
	"'x%'", "`tabSales Invoice`", "tabToDo", "t.a", "`t`.`a`", "a", "b", "name", "# User@Host: u[u] @ h []",
	"# Time: 250331 10:00:00", "# Query_time: 1.5  Rows_examined: 9", "use db;", "SET timestamp=1;",
	"# Thread_id: 1  Schema: db", "/usr/sbin/mariadbd, Version: 10 started with:",
	"DATE_SUB(", "DATE_ADD(", "TIMESTAMPDIFF(", "CAST(", "CONVERT(", "IF(", "EXTRACT(", "FIELD(",
	"GROUP_CONCAT(", "MATCH(", "AGAINST", "COUNT(*)", "SUBSTRING(", "INTERVAL", "DAY", "SHOW FULL",
	"SHOW FULL PROCESSLIST", "REPLACE", "REPLACE INTO", "LOW_PRIORITY", "DELAYED", "RIGHT JOIN",
	"CROSS JOIN", "NATURAL JOIN", "STRAIGHT_JOIN", "CREATE TABLE x AS", "CREATE TEMPORARY TABLE x",
	"CREATE VIEW v AS", "NOT LIKE", "ESCAPE '!'", "REGEXP", "DISTINCT", "FOR UPDATE", "OFFSET", "DESC",
	"ON DUPLICATE KEY UPDATE", "INTO", "@x", ":=",
]  # fmt: skip

token_soup = st.lists(st.sampled_from(TOKENS), max_size=600).map(" ".join) | st.lists(
	st.sampled_from(TOKENS), max_size=600
).map("".join)


@st.composite
def mutated_corpus(draw) -> str:
	"""A real statement cut, spliced or salted with quotes, comments and brackets."""
	text = draw(st.sampled_from(CASES)).sql
	for _ in range(draw(st.integers(1, 4))):
		at = draw(st.integers(0, len(text)))
		action = draw(st.sampled_from(["cut", "insert", "delete", "repeat"]))
		if action == "cut":
			text = text[:at]
		elif action == "insert":
			text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
		elif action == "delete":
			text = text[:at] + text[at + draw(st.integers(1, 20)) :]
		else:
			text = (text[:at] + text[at : at + draw(st.integers(1, 200))] * draw(st.integers(2, 50)))[
				:MAX_TEXT
			]
	return text


@st.composite
def adversarial(draw) -> str:
	"""Deep nesting, long chains, long lists, many quotes, and sizes either side of the limit."""
	n = draw(st.integers(1, 5000))
	shape = draw(
		st.sampled_from(
			[
				"parens", "and", "or", "list", "quotes", "backticks", "comments", "limit", "not",
				"subqueries", "functions", "case", "long list", "joins",
			]
		)
	)  # fmt: skip
	text = {
		"parens": "SELECT a FROM t WHERE " + "(" * n + "a = 1" + ")" * draw(st.integers(0, n)),
		"and": "SELECT a FROM t WHERE " + "a = 1 AND " * n + "b = 2",
		"or": "SELECT a FROM t WHERE " + "a = 1 OR " * n + "b = 2",
		"list": "SELECT a FROM t WHERE a IN (" + ", ".join(["'x'"] * n) + draw(st.sampled_from([")", ""])),
		"quotes": "SELECT '" + "\\'" * n + draw(st.sampled_from(["'", ""])),
		"backticks": "SELECT `" * n,
		"comments": "SELECT /* " * n + draw(st.sampled_from(["*/", ""])),
		"limit": "SELECT a FROM t WHERE b = 1"
		+ " " * (sql_text.MAX_STATEMENT_CHARS - 28 + draw(st.integers(-3, 3))),
		"not": "SELECT a FROM t WHERE " + "NOT " * n + "a = 1",
		"subqueries": "SELECT a FROM t WHERE a IN (SELECT a FROM t WHERE a IN (" * n + "1" + "))" * n,
		"functions": "SELECT a FROM t WHERE "
		+ "IFNULL(DATE_SUB(" * n
		+ "a"
		+ ", 1), 2)" * draw(st.integers(0, n)),
		"case": "SELECT a FROM t ORDER BY " + "CASE WHEN a = 1 THEN " * n + "1" + " END" * n,
		"long list": "SELECT a FROM t WHERE a IN (" + ", ".join(f"'n{i}'" for i in range(n * 40)) + ")",
		"joins": "SELECT a FROM t " + "RIGHT JOIN t AS u ON u.a = t.a LEFT JOIN t AS v USING (a) " * n,
	}[shape]
	return text[:MAX_TEXT]


any_text = st.text(max_size=3000) | token_soup | mutated_corpus() | adversarial()
CATALOG = {"t": {"a", "b"}, "tabToDo": {"name", "status"}, "tabSales Invoice": {"name", "customer"}}


@contextlib.contextmanager
def bounded() -> Iterator[None]:
	"""Fail (never hang) past TIME_LIMIT_S, and fail when Python allocations peak over MEMORY_LIMIT_BYTES."""

	def stop(*_):
		raise TimeoutError(f"still running after {TIME_LIMIT_S} s")

	previous = signal.signal(signal.SIGALRM, stop)
	signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT_S)
	tracemalloc.start()
	try:
		yield
	finally:
		signal.setitimer(signal.ITIMER_REAL, 0)
		signal.signal(signal.SIGALRM, previous)
		_, peak = tracemalloc.get_traced_memory()
		tracemalloc.stop()
	assert peak < MEMORY_LIMIT_BYTES, f"peak {peak:,} bytes"


def refused_or(call: Callable):
	"""The call's result, or the UnreadableStatement it raised: the only error a reader may raise."""
	try:
		return call()
	except UnreadableStatement as refused:
		return refused


# No shrinking: each step of shrinking a hang would wait out the full time limit again.
PHASES = [Phase.explicit, Phase.reuse, Phase.generate]
PROPERTY_SETTINGS = settings(
	max_examples=150,
	deadline=None,
	phases=PHASES,
	suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@PROPERTY_SETTINGS
@given(any_text, st.booleans())
@example("DELETE DELETE", False)  # once found: sqlglot gives this DELETE no table
@example(SQLGLOT_SLIPS[0], False)  # sqlglot's AttributeError
@example(SQLGLOT_SLIPS[1], True)
@example(SQLGLOT_SLIPS[2], True)
@example(SQLGLOT_SLIPS[3], False)  # sqlglot's IndexError
def test_read_ends_and_gives_a_reading(text, with_catalog):
	"""`read` returns a Reading for any text, with or without a catalog; its own layer never fails."""
	with bounded():
		reading = sql.read(text, CATALOG.get if with_catalog else None)
	assert reading.unread != sql.READER_FAILED
	assert reading.unread is None or reading.uses == []
	for use in reading.uses:
		assert isinstance(use.table, str) and all(
			isinstance(c, str) for c in use.equality + use.range + use.join + use.order_by + use.group_by
		)


@PROPERTY_SETTINGS
@given(any_text)
def test_normalise_and_segments_end_and_never_grow_the_text(text):
	"""Normalising only shortens text; segmenting covers it in order; both refuse rather than loop."""
	with bounded():
		normalised = refused_or(lambda: sql_text.normalise(text))
		pieces = refused_or(lambda: list(sql_text.segments(text)))
	if isinstance(normalised, str):
		assert len(normalised) <= len(text)
	if isinstance(pieces, list):
		assert sum(len(piece) for _, piece in pieces) <= len(text)


@PROPERTY_SETTINGS
@given(any_text, st.data())
def test_quoted_end_ends_after_its_start(text, data):
	"""From any quote in any text, the closing position is found after it, or the quote is refused."""
	starts = [i for i, char in enumerate(text) if char in "'\"`"]
	if not starts:
		return
	start = data.draw(st.sampled_from(starts))
	stops = sql_text.QUOTE_ENDS.get(text[start], sql_text.BACKTICK_END)
	with bounded():
		end = refused_or(lambda: sql_text.quoted_end(text, start, stops))
	assert isinstance(end, UnreadableStatement) or start < end <= len(text)


@PROPERTY_SETTINGS
@given(any_text)
@example(SQLGLOT_SLIPS[0])
@example(SQLGLOT_SLIPS[3])
def test_parse_gives_trees_or_a_reason(text):
	"""`parse` returns sqlglot's trees, or refuses with UnreadableStatement: nothing sqlglot raises escapes."""
	with bounded():
		parsed = refused_or(lambda: sql.parse(text))
	assert isinstance(parsed, (list, UnreadableStatement))


@PROPERTY_SETTINGS
@given(any_text)
@example(SQLGLOT_SLIPS[0])
@example(SQLGLOT_SLIPS[3])
def test_the_unbounded_and_one_row_readers_answer_yes_or_no(text):
	"""Any text is an unbounded list or not, one aggregate row or not; never both, never an error."""
	with bounded():
		is_unbounded, one_row = unbounded.is_unbounded_list(text), unbounded.returns_one_row(text)
	assert (is_unbounded, one_row) in ((False, False), (True, False), (False, True))


@PROPERTY_SETTINGS
@given(
	any_text | st.text(max_size=50).map(lambda tail: "SELECT a FROM t WHERE a IN (" + "1, " * 300_000 + tail)
)
def test_compact_keeps_what_the_reader_reads_and_says_why_not(text):
	"""A kept statement is never over the parser's limit; without a reason it reads as the original does."""
	with bounded():
		kept, reason = sql_text.compact(text)
	assert len(kept) <= max(len(text), 0) and len(kept) <= sql_text.MAX_STATEMENT_CHARS
	if reason is None:
		assert sql.read(kept) == sql.read(text)
	else:
		assert sql.read(text).unread == reason


@PROPERTY_SETTINGS
@given(st.lists(any_text, max_size=6).map("\n".join))
def test_slow_log_entries_end_and_stay_bounded(text):
	"""Any text splits into entries, each statement non-empty and within one character of the raw-text limit."""
	with bounded():
		entries = list(slow_log.entries(text))
	assert all(0 < len(e.sql) <= sql_text.MAX_TEXT_CHARS + 1 for e in entries)


@settings(
	max_examples=40, deadline=None, phases=PHASES, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=50_000), st.integers(1, 70_000))
def test_tail_and_the_file_reader_end_on_any_bytes(tmp_path, data, max_bytes):
	"""Any bytes read back as at most `max_bytes` of text; the workload's file reader ends on them too."""
	path = tmp_path / "slow.log"
	path.write_bytes(data)
	with bounded():
		text = slow_log.tail(str(path), max_bytes)
		found = workload.slow_log_file(str(path), "db")
	assert len(text) <= max_bytes, "one character at most per byte read"
	assert all(s.calls >= 1 for s in found)


TABLE = "tabToDo"


@pytest.fixture(scope="module")
def todo_catalog():
	"""A small real ToDo table for the readers that consult the live catalog: (connection, schema, sizes, indexes)."""
	with temporary_database("pe_reader_props") as name:
		conn = connect_database(name)
		with conn.cursor() as cur:
			cur.execute(
				f"""CREATE TABLE `{TABLE}` (name VARCHAR(140) PRIMARY KEY, status VARCHAR(140), a INT, b INT,
				modified DATETIME(6), KEY modified (modified))"""
			)
			cur.execute(f"INSERT INTO `{TABLE}` SELECT seq, 'Open', seq, seq % 7, NOW() FROM seq_1_to_100")
		yield conn, name, catalog.table_sizes(conn, name), catalog.indexes(conn, name)
		conn.close()


READABLE = f"SELECT name FROM `{TABLE}` WHERE status = 'Open' AND b = 3 ORDER BY a"

DB_SETTINGS = settings(
	max_examples=60,
	deadline=None,
	phases=PHASES,
	suppress_health_check=[
		HealthCheck.too_slow,
		HealthCheck.data_too_large,
		HealthCheck.function_scoped_fixture,
	],
)


@DB_SETTINGS
@given(st.lists(any_text | st.sampled_from(SQLGLOT_SLIPS), min_size=1, max_size=4), st.booleans())
def test_findings_from_reads_past_any_statement(todo_catalog, texts, literal):
	"""Whatever statements come before it, a readable one still gives its finding; each other one is a finding,
	nothing, or an unread entry with a reason."""
	conn, schema, sizes, indexes = todo_catalog
	statements = [workload.Statement(text, 1, 1.0, 5000, "fuzz", literal) for text in texts]
	statements.append(workload.Statement(READABLE, 1, 1.0, 5000, "fuzz", True))
	with bounded():
		findings, unread = workload.findings_from(conn, schema, statements, sizes, indexes)
	assert (TABLE, ("status", "b", "a")) in {(f.table, f.columns) for f in findings}
	assert len(unread) <= len(texts) and all(isinstance(u["reason"], str) and u["reason"] for u in unread)


@DB_SETTINGS
@given(any_text | st.sampled_from(SQLGLOT_SLIPS))
def test_the_list_guard_judges_any_statement(todo_catalog, text):
	"""The guard's own readers (the index it suggests, the limit, one row or not) answer for any text."""
	conn, schema, _, _ = todo_catalog
	plan = read_plan(
		[{"id": 1, "table": TABLE, "type": "ALL", "key": None, "rows": 900_000, "Extra": "Using where"}]
	)
	with bounded():
		columns, covering = list_guard.suggest_index(conn, schema, TABLE, text)
		verdict = list_guard.judge(TABLE, 900_000, plan, text, index_fix="add an index")
	assert isinstance(columns, tuple) and isinstance(covering, str)
	assert not verdict.ok and verdict.fixes and verdict.rows_read == 900_000
