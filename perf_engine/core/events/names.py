"""Event names, payloads, event ids and the idempotency key a subscriber receives.

A payload is JSON and small: an event names what happened (a DocType and a name), the
subscriber loads what it needs. Handlers get the decoded JSON, so the first delivery, a
retry and a duplicate all carry the same value, whatever the publisher passed in.
"""

import hashlib
import json
import re
import uuid
from typing import Any

from perf_engine.core.errors import InvalidInput

EVENT_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,140}")
EVENT_KEY_MAX_CHARS = 140
MAX_PAYLOAD_BYTES = 64 * 1024
IDEMPOTENCY_KEY_CHARS = 32


def check_event_name(event: Any) -> str:
	"""An event name is 1-140 letters, digits, '_', '.', ':' or '-' (it names counters and records)."""
	if not isinstance(event, str) or not EVENT_NAME.fullmatch(event):
		raise InvalidInput(
			f"Event name must be 1 to 140 letters, digits or _ . : -, got {str(event)[:EVENT_KEY_MAX_CHARS]!r}"
		)
	return event


def encode_payload(payload: Any) -> str:
	"""The payload as JSON text; anything else, or more than 64 KB, is refused before the commit."""
	if payload is None:
		payload = {}
	if not isinstance(payload, dict):
		raise InvalidInput(f"Event payload must be a dict, got {type(payload).__name__}")
	try:
		text = json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)
	except (TypeError, ValueError) as exc:
		raise InvalidInput(f"Event payload must be JSON (names and numbers, not documents): {exc}") from exc
	if len(text.encode()) > MAX_PAYLOAD_BYTES:
		raise InvalidInput(
			f"Event payload is {len(text.encode())} bytes, more than {MAX_PAYLOAD_BYTES}: "
			"publish names and let subscribers load the rest"
		)
	return text


def event_id(key: str | None = None) -> str:
	"""The publisher's own key for the fact (stable across publishes), or a fresh random id."""
	if key is None:
		return uuid.uuid4().hex
	if not isinstance(key, str) or not key or len(key) > EVENT_KEY_MAX_CHARS:
		raise InvalidInput(f"Event key must be a string of 1 to {EVENT_KEY_MAX_CHARS} characters")
	return key


def idempotency_key(event: str, event_id: str, handler: str) -> str:
	"""Stable per event and subscriber: every delivery of one event to one handler carries the same key."""
	digest = hashlib.sha256("\n".join((event, event_id, handler)).encode()).hexdigest()
	return digest[:IDEMPOTENCY_KEY_CHARS]
