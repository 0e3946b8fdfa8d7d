"""The event bus's framework-free parts: names, payloads, keys, subscribers, backoff and counters."""

import json
import time
from datetime import datetime

import pytest

from perf_engine.core.errors import InvalidInput
from perf_engine.core.events import counters, names, retry
from perf_engine.core.events.subscribers import (
	DEFAULT_ATTEMPTS,
	DEFAULT_DURATION_S,
	MAX_ATTEMPTS,
	Subscriber,
	subscribers_of,
)

PREFIX = "site_db|"


@pytest.mark.parametrize("event", ["sales_invoice.submitted", "a", "app:thing-done_2", "x" * 140])
def test_good_event_names_pass(event):
	"""Letters, digits and _ . : - up to 140 characters name an event."""
	assert names.check_event_name(event) == event


@pytest.mark.parametrize("event", ["", "x" * 141, "has space", "semi;colon", None, 3, "ünï"])
def test_bad_event_names_are_refused(event):
	"""Anything else is refused with a message that names the rule."""
	with pytest.raises(InvalidInput, match="Event name must be"):
		names.check_event_name(event)


def test_payload_is_canonical_json():
	"""A payload becomes sorted, compact JSON, so every delivery carries the same text; None is {}."""
	assert names.encode_payload({"b": 1, "a": [1, "x"]}) == '{"a":[1,"x"],"b":1}'
	assert names.encode_payload(None) == "{}"


@pytest.mark.parametrize(
	("payload", "message"),
	[
		(["not", "a", "dict"], "must be a dict"),
		({"when": datetime(2026, 1, 1)}, "must be JSON"),
		({"nan": float("nan")}, "must be JSON"),
		({"blob": "x" * names.MAX_PAYLOAD_BYTES}, "more than 65536"),
	],
)
def test_bad_payloads_are_refused(payload, message):
	"""Non-dicts, values JSON cannot hold and payloads over 64 KB are refused before any commit."""
	with pytest.raises(InvalidInput, match=message):
		names.encode_payload(payload)


def test_event_id_is_the_publishers_key_or_random():
	"""A given key is the event id; without one each publish gets a fresh id."""
	assert names.event_id("INV-1:2026") == "INV-1:2026"
	assert names.event_id() != names.event_id()
	with pytest.raises(InvalidInput):
		names.event_id("")
	with pytest.raises(InvalidInput):
		names.event_id("k" * 141)


def test_idempotency_key_is_stable_per_event_and_subscriber():
	"""Same event, id and handler give the same key; changing any one of them changes it."""
	key = names.idempotency_key("e", "id1", "app.mod.handler")
	assert key == names.idempotency_key("e", "id1", "app.mod.handler")
	assert len(key) == names.IDEMPOTENCY_KEY_CHARS
	others = {
		names.idempotency_key("e2", "id1", "app.mod.handler"),
		names.idempotency_key("e", "id2", "app.mod.handler"),
		names.idempotency_key("e", "id1", "app.mod.other"),
	}
	assert key not in others and len(others) == 3


def test_subscribers_from_strings_and_dicts():
	"""A path is a short job with default attempts; a dict sets duration and attempts; repeats count once."""
	declared = {
		"e": [
			"app.events.quick",
			{"handler": "app.events.slow", "estimated_duration_s": 600, "attempts": 2},
			"app.events.quick",
		],
		"other": ["app.events.unrelated"],
	}
	assert subscribers_of("e", declared) == [
		Subscriber("app.events.quick", DEFAULT_DURATION_S, DEFAULT_ATTEMPTS),
		Subscriber("app.events.slow", 600.0, 2),
	]
	assert subscribers_of("nobody", declared) == []
	assert subscribers_of("e", None) == []
	assert subscribers_of("e", {"e": "app.events.single"}) == [Subscriber("app.events.single")]


@pytest.mark.parametrize(
	("entry", "message"),
	[
		("nodots", "dotted handler path"),
		({"estimated_duration_s": 5}, "dotted handler path"),
		({"handler": "a.b", "estimated_duration_s": 0}, "must be positive"),
		({"handler": "a.b", "estimated_duration_s": "10"}, "must be positive"),
		({"handler": "a.b", "attempts": 0}, f"from 1 to {MAX_ATTEMPTS}"),
		({"handler": "a.b", "attempts": MAX_ATTEMPTS + 1}, f"from 1 to {MAX_ATTEMPTS}"),
		({"handler": "a.b", "attempts": True}, f"from 1 to {MAX_ATTEMPTS}"),
		({"handler": "a.b", "retries": 3}, "unknown keys"),
		(42, "dotted handler path"),
	],
)
def test_malformed_hook_entries_are_named(entry, message):
	"""A bad entry is refused with the event named, so the app that declared it is found."""
	with pytest.raises(InvalidInput, match=message) as raised:
		subscribers_of("e", {"e": [entry]})
	assert "perf_engine_events['e']" in str(raised.value)


def test_backoff_doubles_from_a_minute_and_stops_at_an_hour():
	"""60, 120, 240 ... seconds, never above 3600, for any attempt number."""
	assert [retry.backoff_s(n) for n in range(1, 8)] == [60, 120, 240, 480, 960, 1920, 3600]
	assert retry.backoff_s(10_000) == retry.BACKOFF_CAP_S
	with pytest.raises(InvalidInput):
		retry.backoff_s(0)


def test_attempts_are_bounded():
	"""A delivery is retried while attempts are left, and not after the last."""
	assert [retry.should_retry(n, 3) for n in (1, 2, 3, 4)] == [True, True, False, False]


def test_counters_sum_the_window_per_event(redis_client):
	"""Counts in the window add up per event and outcome; older buckets and other prefixes are left out."""
	now = 1_800_000_000.0
	counters.count(redis_client, PREFIX, [("a", counters.PUBLISHED), ("a", counters.PUBLISHED)], at=now)
	counters.count(redis_client, PREFIX, [("a", counters.DELIVERED), ("b:x", counters.FAILED)], at=now - 120)
	counters.count(redis_client, PREFIX, [("a", counters.RETRIED)], at=now - 30 * 60)
	counters.count(redis_client, "other_db|", [("a", counters.PUBLISHED)], at=now)
	rows = counters.activity(redis_client, PREFIX, 10, now=now)
	assert rows == [
		{"event": "a", "published": 2, "delivered": 1, "retried": 0, "failed": 0},
		{"event": "b:x", "published": 0, "delivered": 0, "retried": 0, "failed": 1},
	]
	assert counters.activity(redis_client, PREFIX, 60, now=now)[0]["retried"] == 1


def test_counter_buckets_expire(redis_client):
	"""Each bucket carries a TTL just past the longest window, so nothing is left to clean up."""
	counters.count(redis_client, PREFIX, [("a", counters.PUBLISHED)])
	ttl = redis_client.ttl(counters.bucket_key(PREFIX, time.time()))
	assert counters.TTL_S - 5 < ttl <= counters.TTL_S


def test_counter_window_and_outcomes_are_bounded(redis_client):
	"""A window outside 1-1440 minutes, or an unknown outcome, is refused before Redis is read."""
	for window in (0, counters.MAX_WINDOW_MINUTES + 1, "60"):
		with pytest.raises(InvalidInput, match="Window must be"):
			counters.activity(redis_client, PREFIX, window)
	with pytest.raises(InvalidInput, match="Outcome must be"):
		counters.count(redis_client, PREFIX, [("a", "lost")])
	assert not redis_client.exists(counters.bucket_key(PREFIX, time.time()))


def test_counters_join_a_callers_pipeline(redis_client):
	"""With a pipeline nothing is sent until the caller executes it."""
	pipe = redis_client.pipeline()
	counters.count(redis_client, PREFIX, [("a", counters.DELIVERED)], pipeline=pipe)
	assert counters.activity(redis_client, PREFIX, 1) == []
	pipe.execute()
	assert counters.activity(redis_client, PREFIX, 1)[0]["delivered"] == 1


def test_payload_round_trips_through_json():
	"""What a handler receives is the published payload as JSON decodes it."""
	payload = {"name": "INV-1", "amount": 12.5, "items": [1, 2]}
	assert json.loads(names.encode_payload(payload)) == payload
