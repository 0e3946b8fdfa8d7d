"""Subscribers the event bus tests declare (through the hooks cache, see `subscribed`); real RQ workers run them.

Each handler appends what it received to a Redis list of the site's cache, so the test
reads what each delivery carried after the worker has exited.
"""

import contextlib
import json
from collections.abc import Iterator

import frappe

from perf_engine.services import events

RECEIVED = "perf_engine:test_events:received"
TRIES = "perf_engine:test_events:tries:{0}"
MAX_READ = 100
TRIES_TTL_S = 600


def received() -> list[dict]:
	"""What the handlers were called with, oldest first (at most 100 entries)."""
	return [json.loads(entry) for entry in frappe.cache.lrange(RECEIVED, 0, MAX_READ - 1)]


def forget_received() -> None:
	frappe.cache.delete_value(RECEIVED)


def note(handler: str, payload: dict, event: str, idempotency_key: str) -> None:
	entry = {"handler": handler, "payload": payload, "event": event, "key": idempotency_key}
	frappe.cache.rpush(RECEIVED, json.dumps(entry))


def record(payload: dict, event: str, idempotency_key: str) -> None:
	"""A subscriber that succeeds."""
	note("record", payload, event, idempotency_key)


def record_too(payload: dict, event: str, idempotency_key: str) -> None:
	"""A second subscriber of the same event that succeeds."""
	note("record_too", payload, event, idempotency_key)


def always_fail(payload: dict, event: str, idempotency_key: str) -> None:
	"""A subscriber that raises on every attempt; it also writes a ToDo that must be rolled back."""
	note("always_fail", payload, event, idempotency_key)
	frappe.get_doc({"doctype": "ToDo", "description": f"always_fail {idempotency_key}"}).insert()
	raise RuntimeError("subscriber failed <on purpose>")


def fail_once(payload: dict, event: str, idempotency_key: str) -> None:
	"""A subscriber whose first attempt for a key raises after its side effect, as a crash mid-delivery would."""
	note("fail_once", payload, event, idempotency_key)
	tries = frappe.cache.make_key(TRIES.format(idempotency_key))
	first = frappe.cache.incrby(tries, 1) == 1
	frappe.cache.expire(tries, TRIES_TTL_S)
	if first:
		raise RuntimeError("first attempt fails")


@contextlib.contextmanager
def subscribed(declared: dict) -> Iterator[None]:
	"""Declare subscribers for a while through Frappe's own hooks cache (`app_hooks`, what
	frappe.get_hooks reads before any hooks.py), as Frappe's tests override hooks; deleting the key
	afterwards makes the next reader load the real hooks. Every process of the site that publishes
	reads it, the test's workers included (a delivery job itself carries its handler). Nothing
	test-only is declared in perf_engine's hooks.py."""
	hooks = dict(frappe.get_hooks())
	frappe.cache.set_value("app_hooks", {**hooks, events.HOOK: declared})
	try:
		yield
	finally:
		frappe.cache.delete_value("app_hooks")


def publish_then_record(payload: dict, event: str, idempotency_key: str) -> None:
	"""A subscriber that publishes a follow-up event (named in the payload) from inside its delivery job."""
	from perf_engine.events import publish

	note("publish_then_record", payload, event, idempotency_key)
	publish(payload["next"], {"after": event})
