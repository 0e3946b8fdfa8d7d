"""Published, delivered, retried and failed deliveries per event, in one Redis hash per minute.

Reads are bounded by the window: one HGETALL per minute bucket in one pipeline, each hash
holding four fields per event name (names are code, not data). Buckets expire a minute
after the longest window, so nothing needs cleaning up.
"""

import time
from collections.abc import Iterable
from typing import Any

import redis

from perf_engine.core.errors import InvalidInput

KEY = "perf_engine:events:{0}"  # a hash per minute bucket: "<outcome>:<event>" -> count
PUBLISHED, DELIVERED, RETRIED, FAILED = "published", "delivered", "retried", "failed"
OUTCOMES = (PUBLISHED, DELIVERED, RETRIED, FAILED)
BUCKET_S = 60
MAX_WINDOW_MINUTES = 24 * 60
TTL_S = (MAX_WINDOW_MINUTES + 1) * BUCKET_S


def bucket_key(prefix: str, at: float) -> str:
	return prefix + KEY.format(int(at // BUCKET_S))


def count(
	client: redis.Redis,
	prefix: str,
	outcomes: Iterable[tuple[str, str]],
	at: float | None = None,
	pipeline: Any = None,
) -> None:
	"""Add one to each (event, outcome) in this minute's bucket, in one round trip unless a pipeline is given."""
	outcomes = list(outcomes)
	if any(outcome not in OUTCOMES for _, outcome in outcomes):
		raise InvalidInput(f"Outcome must be one of {', '.join(OUTCOMES)}")
	key = bucket_key(prefix, time.time() if at is None else at)
	pipe = pipeline if pipeline is not None else client.pipeline(transaction=False)
	for event, outcome in outcomes:
		pipe.hincrby(key, f"{outcome}:{event}", 1)
	pipe.expire(key, TTL_S)
	if pipeline is None:
		pipe.execute()


def check_window(window_minutes: int) -> int:
	if not isinstance(window_minutes, int) or not 1 <= window_minutes <= MAX_WINDOW_MINUTES:
		raise InvalidInput(f"Window must be from 1 to {MAX_WINDOW_MINUTES} minutes, got {window_minutes!r}")
	return window_minutes


def activity(client: redis.Redis, prefix: str, window_minutes: int, now: float | None = None) -> list[dict]:
	"""Counts per event over the last `window_minutes` (this minute included), busiest event first."""
	now = time.time() if now is None else now
	pipe = client.pipeline(transaction=False)
	for minute in range(check_window(window_minutes)):
		pipe.hgetall(bucket_key(prefix, now - minute * BUCKET_S))
	totals: dict[str, dict] = {}
	for bucket in pipe.execute():
		for field, value in bucket.items():
			outcome, _, event = (field.decode() if isinstance(field, bytes) else field).partition(":")
			row = totals.setdefault(event, {"event": event, **dict.fromkeys(OUTCOMES, 0)})
			row[outcome] = row.get(outcome, 0) + int(value)
	return sorted(totals.values(), key=lambda row: (-row[PUBLISHED], row["event"]))
