"""Housekeeping of the keys the cache keeps without a TTL: generation counters of deleted DocTypes.

Counters never expire (see store.py), so one stays for every DocType ever changed. A counter
whose DocType is gone is removed once it has been idle for `min_idle_s`: a value cached under
its numbers was written while the counter was read, and lives at most the cache TTL, so once
the counter is idle longer than that no cached value can meet a counter restarted from 0 (a
DocType created, or recreated, after the list of existing DocTypes was read stays untouched).
"""

import logging
from collections.abc import Collection, Iterator

import redis

from perf_engine.core.cache import keys

logger = logging.getLogger(__name__)

# Keys asked of Redis per SCAN step: large enough for few round trips, small enough for short ones.
SCAN_COUNT = 1000
# Counters removed per run at most; the rest go at the next run.
MAX_REMOVED_PER_RUN = 10_000
GLOB_SPECIALS = "\\*?[]"


def prune_generations(
	client: redis.Redis,
	prefix: str,
	existing_doctypes: Collection[str],
	min_idle_s: int,
	limit: int = MAX_REMOVED_PER_RUN,
) -> int:
	"""Remove the site's generation counters of DocTypes not in `existing_doctypes`; returns how many went.

	`prefix` is the site's key namespace (`<db_name>|`), so other sites' counters are never seen.
	"""
	removed = 0
	for batch in stale_batches(client, prefix, set(existing_doctypes)):
		doomed = idle_keys(client, batch[: limit - removed], min_idle_s)
		if doomed:
			removed += client.unlink(*doomed)
		if removed >= limit:
			break
	return removed


def stale_batches(client: redis.Redis, prefix: str, existing: set[str]) -> Iterator[list[str]]:
	"""The site's counters of absent DocTypes, one list per SCAN step (never KEYS)."""
	head = prefix + keys.GENERATION.format(doctype="")
	pattern = escape_glob(head) + "*"
	cursor = None
	while cursor != 0:
		cursor, found = client.scan(cursor or 0, match=pattern, count=SCAN_COUNT)
		names = [key.decode() if isinstance(key, bytes) else key for key in found]
		stale = [key for key in names if key.removeprefix(head) not in existing]
		if stale:
			yield stale


def idle_keys(client: redis.Redis, candidates: list[str], min_idle_s: int) -> list[str]:
	"""Those of `candidates` nobody has read or bumped for `min_idle_s` (one round trip)."""
	if not candidates:
		return []
	with client.pipeline(transaction=False) as pipeline:
		for key in candidates:
			pipeline.object("idletime", key)
		idle = pipeline.execute(raise_on_error=False)
	if any(isinstance(seconds, redis.ResponseError) for seconds in idle):
		logger.warning("generation counters kept: this Redis keeps no idle time (maxmemory-policy LFU)")
	# An error, or a key gone since the SCAN, keeps it.
	return [
		key
		for key, seconds in zip(candidates, idle, strict=True)
		if isinstance(seconds, int) and seconds >= min_idle_s
	]


def escape_glob(text: str) -> str:
	"""`text` matched literally by SCAN's MATCH, whatever a site prefix or name holds."""
	return "".join("\\" + char if char in GLOB_SPECIALS else char for char in text)
