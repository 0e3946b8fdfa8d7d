"""Property-based: every public function of the SQL and slow-log readers ends on any text,
random or adversarial, within a bounded time and memory, and never fails in its own layer.

The bounds are guards against hangs and runaway memory (the old reader looped forever on an
unterminated backtick, growing 50 MB/s), not speed goals: those live in benchmarks/.
"""

import contextlib
import signal
import tracemalloc
from collections.abc import Callable, Iterator

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from perf_engine.core.errors import UnreadableStatement
from perf_engine.core.indexes import slow_log, sql, sql_text, workload
from tests.sql_corpus import CASES

TIME_LIMIT_S = 20  # a hang, not a slow run: one call on the largest input takes well under a second
MEMORY_LIMIT_BYTES = 128 * 1024 * 1024
MAX_TEXT = sql_text.MAX_STATEMENT_CHARS + 200

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
		st.sampled_from(["parens", "and", "or", "list", "quotes", "backticks", "comments", "limit", "not"])
	)
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
@given(st.lists(any_text, max_size=6).map("\n".join))
def test_slow_log_entries_end_and_stay_bounded(text):
	"""Any text splits into entries, each statement non-empty and within one character of the reader's limit."""
	with bounded():
		entries = list(slow_log.entries(text))
	assert all(0 < len(e.sql) <= sql_text.MAX_STATEMENT_CHARS + 1 for e in entries)


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
