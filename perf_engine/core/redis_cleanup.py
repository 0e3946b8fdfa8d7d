"""Relieve Redis memory pressure without blocking it: SCAN and pipelined UNLINK in batches.

Only keys inside one site's prefix that match the configured non-essential patterns are
deleted, never another site's keys, RQ's, sessions, locks, perf_engine's generation
counters or Frappe's unflushed monitor entries. Batches are small and non-blocking
(UNLINK frees memory in a background thread), and the run stops as soon as pressure is
back under the target. A dry run reports what would go and deletes nothing.
"""

import time
from collections.abc import Callable, Iterable

import redis

from perf_engine.core.errors import InvalidInput
from perf_engine.core.redis_memory import memory_status

SCAN_COUNT = 5000
BATCH_SIZE = 1000
DEFAULT_PATTERNS = ("perf_engine:list:*", "perf_engine:report:*", "perf_engine:doc:*", "document_cache::*")
# Never deleted, whatever the patterns say (matched after the site prefix).
PROTECTED = (
	"session",
	"lock",
	"rq:",
	"perf_engine:gen:",
	"perf_engine:lock:",
	"perf_engine:link_map",
	"monitor-transactions",
)
GLOB_SPECIALS = "\\*?["


def escape_glob(text: str) -> str:
	"""A site prefix is literal text inside a SCAN MATCH pattern."""
	return "".join(f"\\{char}" if char in GLOB_SPECIALS else char for char in text)


def deletable(key: bytes, prefix: bytes) -> bool:
	return key.startswith(prefix) and not key[len(prefix) :].decode(errors="replace").startswith(PROTECTED)


def matching_keys(client: redis.Redis, prefix: str, patterns: Iterable[str]) -> Iterable[list[bytes]]:
	"""Batches of deletable keys, found with SCAN (never KEYS)."""
	if not prefix:
		raise InvalidInput("Redis cleanup needs a site prefix: it never touches keys outside one site")
	raw_prefix = prefix.encode()
	batch: list[bytes] = []
	for pattern in patterns:
		if not pattern.strip():
			continue
		for key in client.scan_iter(match=escape_glob(prefix) + pattern.strip(), count=SCAN_COUNT):
			if deletable(key, raw_prefix):
				batch.append(key)
				if len(batch) >= BATCH_SIZE:
					yield batch
					batch = []
	if batch:
		yield batch


def cleanup(
	client: redis.Redis,
	prefix: str,
	patterns: Iterable[str] = DEFAULT_PATTERNS,
	threshold: float = 0.9,
	target: float = 0.8,
	budget_bytes: int = 0,
	dry_run: bool = True,
	force: bool = False,
	on_progress: Callable[[int, int], None] | None = None,
) -> dict:
	"""Delete matching keys while pressure is above target; report keys and bytes freed."""
	if not 0 < target <= threshold <= 1:
		raise InvalidInput("Cleanup needs 0 < target <= threshold <= 1 (fractions of the memory limit)")
	started = time.monotonic()
	before = memory_status(client, budget_bytes)
	report = {"dry_run": dry_run, "pressure_before": before["pressure"], "keys": 0, "bytes": 0, "batches": 0}
	if not force and (before["pressure"] is None or before["pressure"] < threshold):
		reason = (
			"no memory limit is set (maxmemory 0 and no budget)"
			if before["pressure"] is None
			else "pressure below threshold"
		)
		return {**report, "skipped": reason, "pressure_after": before["pressure"], "duration_s": 0.0}
	stopped = "no more matching keys"
	for batch in matching_keys(client, prefix, patterns):
		if dry_run:
			with client.pipeline(transaction=False) as pipe:
				for key in batch:
					pipe.memory_usage(key)
				report["bytes"] += sum(size or 0 for size in pipe.execute())
		else:
			client.unlink(*batch)
		report["keys"] += len(batch)
		report["batches"] += 1
		if on_progress:
			on_progress(report["keys"], report["keys"] + BATCH_SIZE)
		if not dry_run and not force and under_target(client, budget_bytes, target):
			stopped = "pressure back under target"
			break
	after = memory_status(client, budget_bytes)
	if not dry_run:
		# Redis's own accounting; UNLINK frees in the background, so this can trail slightly.
		report["bytes"] = max(0, before["used_memory"] - after["used_memory"])
	return {
		**report,
		"stopped": stopped,
		"pressure_after": after["pressure"],
		"duration_s": round(time.monotonic() - started, 3),
	}


def under_target(client: redis.Redis, budget_bytes: int, target: float) -> bool:
	"""Only INFO's memory section: cheap enough to ask after every batch."""
	memory = client.info("memory")
	limit = int(memory.get("maxmemory", 0)) or budget_bytes
	return bool(limit) and memory["used_memory"] / limit < target
