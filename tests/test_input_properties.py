"""Every reader of input perf_engine does not control ends on anything: a value it can use, or InvalidInput.

Resume cursors come from users, load-test figures over REST, hook entries from other apps,
stored histograms from the database and workload SQL from the server's logs.
"""

import math

from hypothesis import example, given, settings
from hypothesis import strategies as st

from perf_engine.core.errors import InvalidInput
from perf_engine.core.events import names, subscribers
from perf_engine.core.jobs import routing
from perf_engine.core.latency.histogram import BUCKETS, Histogram
from perf_engine.core.load import rules as load_test
from perf_engine.core.query import keyset
from perf_engine.core.query import unbounded as unbounded_queries

JSON = st.recursive(
	st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
	lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
	max_leaves=12,
)
KIND_NAMES = st.sampled_from([*load_test.KINDS, "other"])


def refused_or(read, value):
	"""`read(value)`, or None when it refused the value with InvalidInput (any other exception fails)."""
	try:
		return read(value)
	except InvalidInput:
		return None


@given(st.text() | st.sampled_from(['[NaN, "x"]', '[Infinity, "x"]', '[1e999, "x"]', '[1.5, "x"]']))
def test_a_resume_cursor_reads_any_text(token):
	"""Any text is a cursor with a name, or refused; a cursor's own token reads back as itself."""
	cursor = refused_or(keyset.Cursor.from_token, token)
	if cursor is not None:
		assert isinstance(cursor.name, str)
		assert not isinstance(cursor.value, float) or math.isfinite(cursor.value)
		assert keyset.Cursor.from_token(cursor.token()) == cursor


@settings(max_examples=300)
@given(
	st.dictionaries(
		st.sampled_from(["kinds", "duration_s", "total"]),
		JSON | st.dictionaries(KIND_NAMES, JSON, max_size=3),
		max_size=3,
	)
)
def test_load_figures_from_rest_read_or_are_refused(figures):
	"""Whatever a client posts as figures is a summary with finite counts, or refused."""
	summary = refused_or(load_test.read_summary, figures)
	if summary is not None:
		assert summary["duration_s"] > 0
		for row in summary["kinds"].values():
			assert all(math.isfinite(v) for v in row.values() if isinstance(v, int | float))


ENTRY = st.fixed_dictionaries(
	{"handler": st.sampled_from(["my_app.events.handle", "handle", 7])},
	optional={
		"estimated_duration_s": JSON | st.floats(),
		"attempts": JSON | st.integers(-1, 30),
		"extra": JSON,
	},
)


@given(st.text(max_size=20), JSON | ENTRY | st.sampled_from(["my_app.events.handle", "handle"]))
@example("e", {"handler": "a.b", "estimated_duration_s": float("inf")})
@example("e", {"handler": "a.b", "estimated_duration_s": float("nan")})
def test_a_hook_entry_is_a_usable_subscriber_or_refused(event, entry):
	"""A subscriber has a dotted handler, a finite positive duration and 1 to MAX_ATTEMPTS attempts."""
	subscriber = refused_or(lambda e: subscribers.parse_entry(event, e), entry)
	if subscriber is not None:
		assert "." in subscriber.handler
		assert math.isfinite(subscriber.estimated_duration_s) and subscriber.estimated_duration_s > 0
		assert 1 <= subscriber.attempts <= subscribers.MAX_ATTEMPTS


@given(JSON)
def test_an_event_name_and_payload_are_checked_before_the_commit(value):
	"""Any value is a valid name or payload (JSON text that reads back), or refused."""
	if refused_or(names.check_event_name, value) is not None:
		assert isinstance(value, str) and 1 <= len(value) <= 140
	text = refused_or(names.encode_payload, value)
	if text is not None:
		assert isinstance(value, dict | None)


@given(
	st.dictionaries(
		st.sampled_from(["c", "n", "s"]),
		JSON | st.lists(st.integers(-2, 5), max_size=BUCKETS + 2),
		max_size=3,
	)
)
def test_a_stored_histogram_reads_or_is_refused(stored):
	"""A stored histogram has whole, non-negative counts adding up to its total, or is refused."""
	histogram = refused_or(Histogram.from_json, stored)
	if histogram is not None:
		assert len(histogram.counts) == BUCKETS and min(histogram.counts) >= 0
		assert sum(histogram.counts) == histogram.count


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300) | st.builds(lambda t: f"SELECT a FROM t WHERE {t}", st.text(max_size=200)))
def test_any_workload_text_is_judged_without_raising(sql):
	"""Unreadable or odd SQL is never called an unbounded list, and never raises."""
	assert unbounded_queries.is_unbounded_list(sql) in (True, False)


@given(JSON | st.floats())
def test_a_job_duration_routes_or_is_refused(estimated_s):
	"""Any value routes to a queue with a whole timeout, or is refused (inf and NaN have no queue)."""
	routed = refused_or(lambda value: routing.route(value, ["short", "default", "long"]), estimated_s)
	if routed is not None:
		assert routed[0] in ("short", "default", "long") and isinstance(routed[1], int)
