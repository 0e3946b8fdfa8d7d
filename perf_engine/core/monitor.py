"""Read what Frappe's monitor recorded, without taking it from Frappe's own flush job.

Frappe (with `monitor: 1` in site_config) appends one JSON entry per request and job to
the Redis list `<db_name>|monitor-transactions`; `frappe.monitor.flush` moves them every
minute to `logs/monitor.json.log`. perf_engine reads both: LRANGE on the list (never a pop
or trim) and the tail of the log file.
"""

import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import redis

logger = logging.getLogger(__name__)

MONITOR_KEY = "monitor-transactions"
LOG_TAIL_BYTES = 8 * 1024 * 1024
MICROSECONDS = 1_000_000


@dataclass(frozen=True)
class Transaction:
	"""One request or job as Frappe's monitor recorded it."""

	kind: str
	name: str
	at: datetime
	duration_s: float
	wait_s: float = 0.0


def parse_entry(raw: bytes | str) -> Transaction | None:
	"""Decode one monitor entry; malformed entries are skipped, not fatal."""
	try:
		entry = json.loads(raw)
		at = datetime.fromisoformat(entry["timestamp"])
		if at.tzinfo is None:
			at = at.replace(tzinfo=timezone.utc)
		kind = entry["transaction_type"]
		detail = entry.get(kind) or {}
		name = detail.get("path") if kind == "request" else detail.get("method")
		return Transaction(
			kind=kind,
			name=name or "",
			at=at,
			duration_s=entry["duration"] / MICROSECONDS,
			wait_s=detail.get("wait", 0) / MICROSECONDS,
		)
	except (ValueError, KeyError, TypeError):
		return None


def read_redis(client: redis.Redis, prefix: str) -> list[Transaction]:
	"""Entries still waiting in Redis for Frappe's flush; read, never consumed."""
	return [t for t in map(parse_entry, client.lrange(prefix + MONITOR_KEY, 0, -1)) if t]


def read_log(path: str, max_bytes: int = LOG_TAIL_BYTES) -> list[Transaction]:
	"""Entries already flushed to the bench's monitor log, from its last `max_bytes`."""
	if not os.path.isfile(path):
		return []
	with open(path, "rb") as log:
		log.seek(max(0, os.path.getsize(path) - max_bytes))
		lines = log.read().splitlines()
	return [t for t in map(parse_entry, lines) if t]


def recent(
	transactions: Iterable[Transaction], window: timedelta, now: datetime | None = None
) -> list[Transaction]:
	"""Transactions inside the window, each once (the list and the log can overlap briefly)."""
	since = (now or datetime.now(timezone.utc)) - window
	unique = {(t.kind, t.name, t.at, t.duration_s): t for t in transactions if t.at >= since}
	return sorted(unique.values(), key=lambda t: t.at)
