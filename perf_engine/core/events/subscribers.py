"""Who listens to an event, read from the `perf_engine_events` hook of every app.

An entry is a dotted path (a short job, five attempts) or a dict that says more:

    perf_engine_events = {
        "sales_invoice.submitted": [
            "my_app.events.notify_customer",
            {"handler": "my_app.events.rebuild_ledger", "estimated_duration_s": 600, "attempts": 3},
        ],
    }

The expected duration routes each delivery like `perf_engine.jobs.enqueue`.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from perf_engine.core.errors import InvalidInput
from perf_engine.core.jobs.routing import check_duration

DEFAULT_DURATION_S = 30  # a subscriber that says nothing is a short job
DEFAULT_ATTEMPTS = 5
MAX_ATTEMPTS = 20
ENTRY_KEYS = {"handler", "estimated_duration_s", "attempts"}


@dataclass(frozen=True)
class Subscriber:
	"""One handler of an event, with how long it is expected to run and how often it is tried."""

	handler: str
	estimated_duration_s: float = DEFAULT_DURATION_S
	attempts: int = DEFAULT_ATTEMPTS


def parse_entry(event: str, entry: Any) -> Subscriber:
	"""One hook entry as a subscriber; a malformed one is refused with the event and the entry named."""
	if isinstance(entry, str):
		entry = {"handler": entry}
	if (
		not isinstance(entry, Mapping)
		or not isinstance(entry.get("handler"), str)
		or "." not in entry["handler"]
	):
		raise InvalidInput(f"perf_engine_events[{event!r}]: {entry!r} is not a dotted handler path")
	if unknown := set(entry) - ENTRY_KEYS:
		raise InvalidInput(f"perf_engine_events[{event!r}]: unknown keys {sorted(unknown)}")
	duration = entry.get("estimated_duration_s", DEFAULT_DURATION_S)
	attempts = entry.get("attempts", DEFAULT_ATTEMPTS)
	try:
		duration = check_duration(duration)
	except InvalidInput:
		raise InvalidInput(
			f"perf_engine_events[{event!r}]: estimated_duration_s must be positive, got {duration!r}"
		) from None
	if not isinstance(attempts, int) or isinstance(attempts, bool) or not 1 <= attempts <= MAX_ATTEMPTS:
		raise InvalidInput(
			f"perf_engine_events[{event!r}]: attempts must be from 1 to {MAX_ATTEMPTS}, got {attempts!r}"
		)
	return Subscriber(entry["handler"], float(duration), attempts)


def subscribers_of(event: str, declared: Mapping[str, Any] | None) -> list[Subscriber]:
	"""The event's subscribers from the merged hook, each handler once (two apps may name the same one)."""
	entries = (declared or {}).get(event) or []
	if not isinstance(entries, list | tuple):
		entries = [entries]
	found: dict[str, Subscriber] = {}
	for entry in entries:
		subscriber = parse_entry(event, entry)
		found.setdefault(subscriber.handler, subscriber)
	return list(found.values())
