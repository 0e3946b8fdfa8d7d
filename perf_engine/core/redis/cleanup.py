"""Relieve Redis memory pressure without blocking it: SCAN and pipelined UNLINK in bounded batches.

Only keys inside one site's prefix that match the configured non-essential patterns are
deleted, never another site's keys, RQ's, sessions, locks, perf_engine's generation
counters or Frappe's unflushed monitor entries. Every command Redis runs is small (one
SCAN page, an UNLINK of at most BATCH_SIZE keys), so no other client waits long; what is
done with a page travels in the same round trip as the SCAN for the next one, which keeps
the run as fast as a plain loop over large pages. The run stops as soon as pressure is
back under the target. A dry run reports what would go, per pattern, and deletes nothing.

The prefix is the one rule every caller shares (`site_prefix`): a full `<db_name>|`, since
a shorter one (`_abc` for `_abc123`, or `_`) also matches other sites' keys.
"""

import re
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from functools import partial

import redis
from redis.client import Pipeline

from perf_engine.core.errors import InvalidInput
from perf_engine.core.redis.memory import memory_status

SCAN_COUNT = 1000
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
GLOB_START = re.compile(f"[{re.escape(GLOB_SPECIALS)}]")
# Frappe names a site's keys `<db_name>|key`; a db name is a MariaDB database name.
SITE_SEPARATOR = "|"
PREFIX_GLOB_CHARS = "*?[]\\"
DB_NAME = re.compile(r"[A-Za-z0-9_$-]+")
# Shorter names are fragments (`_`, `_a`), not databases Frappe made (`_` + 16 hex digits by default).
MIN_DB_NAME_CHARS = 3
EXAMPLE_KEYS_PER_PATTERN = 5


def site_prefix(value: str | None, db_names: Collection[str] | None = None) -> str:
	"""`<db_name>|` from a site prefix or a bare db name; anything else is refused.

	A prefix is literal text in front of every key: one that is shorter than a db name, or
	holds glob characters, reaches other sites' keys. `db_names`, when the caller knows the
	bench's sites, must contain the name.
	"""
	text = value or ""
	example = "give one site's db name, e.g. '_1a2b3c4d5e6f7a8b' or '_1a2b3c4d5e6f7a8b|'"
	if any(char in text for char in PREFIX_GLOB_CHARS):
		raise InvalidInput(f"Redis prefix {text!r} holds glob characters (* ? [ ] \\): {example}")
	name = text[:-1] if text.endswith(SITE_SEPARATOR) else text
	if not DB_NAME.fullmatch(name) or len(name) < MIN_DB_NAME_CHARS:
		raise InvalidInput(
			f"Redis prefix {text!r} is not a full site prefix: {example} "
			f"(at least {MIN_DB_NAME_CHARS} letters, digits, _, $ or -)"
		)
	if db_names is not None and name not in db_names:
		known = ", ".join(sorted(db_names)) or "none"
		raise InvalidInput(
			f"Redis prefix {text!r} is no site's db name in this bench (sites' db names: {known})"
		)
	return name + SITE_SEPARATOR


def escape_glob(text: str) -> str:
	"""A site prefix is literal text inside a SCAN MATCH pattern."""
	return "".join(f"\\{char}" if char in GLOB_SPECIALS else char for char in text)


def protected_within(prefix: str, pattern: str) -> tuple[bytes, ...]:
	"""The protected names a pattern could match; when none can, its pages need no filtering."""
	literal = GLOB_START.split(pattern, maxsplit=1)[0]
	return tuple(
		(prefix + name).encode() for name in PROTECTED if name.startswith(literal) or literal.startswith(name)
	)


def sweep(
	client: redis.Redis, prefix: str, patterns: Iterable[str], queue: Callable[[Pipeline, list[bytes]], None]
) -> Iterator[tuple[str, list[bytes], list]]:
	"""Each pattern's pages of deletable keys, with the replies to what `queue` sent for a page
	alongside the next SCAN."""
	for pattern in patterns:
		# MATCH carries the escaped site prefix, so every key SCAN returns is this site's.
		match = escape_glob(prefix) + pattern
		protected = protected_within(prefix, pattern)
		cursor, keys = client.scan(0, match=match, count=SCAN_COUNT)
		while keys or cursor:
			if protected:
				keys = [key for key in keys if not key.startswith(protected)]
			with client.pipeline(transaction=False) as pipe:
				queue(pipe, keys)
				if cursor:
					pipe.scan(cursor, match=match, count=SCAN_COUNT)
				replies = pipe.execute()
			cursor, next_keys = replies.pop() if cursor else (0, [])
			yield pattern, keys, replies
			keys = next_keys


def queue_sizes(pipe: Pipeline, keys: list[bytes]) -> None:
	"""A dry run measures each key it would delete."""
	for key in keys:
		pipe.memory_usage(key)


def queue_unlink(pipe: Pipeline, keys: list[bytes], watch_pressure: bool) -> None:
	"""UNLINK in bounded batches, then INFO memory when pressure decides when to stop."""
	for start in range(0, len(keys), BATCH_SIZE):
		pipe.unlink(*keys[start : start + BATCH_SIZE])
	if watch_pressure:
		pipe.info("memory")


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
	prefix = site_prefix(prefix)
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
	patterns = list(dict.fromkeys(pattern.strip() for pattern in patterns if pattern.strip()))
	# Each SCAN call visits about SCAN_COUNT slots, so a pattern takes about DBSIZE / SCAN_COUNT pages.
	expected_pages = len(patterns) * (client.dbsize() // SCAN_COUNT + 1)
	watch_pressure = not dry_run and not force
	queue = queue_sizes if dry_run else partial(queue_unlink, watch_pressure=watch_pressure)
	stopped = "no more matching keys"
	by_pattern = {
		pattern: {"pattern": prefix + pattern, "keys": 0, "bytes": 0, "examples": []} for pattern in patterns
	}
	for pattern, keys, replies in sweep(client, prefix, patterns, queue):
		report["keys"] += len(keys)
		report["batches"] += 1
		if dry_run:
			count_page(by_pattern[pattern], keys, replies)
		if on_progress:
			on_progress(report["batches"], max(expected_pages, report["batches"] + 1))
		if watch_pressure and under_target(replies[-1], budget_bytes, target):
			stopped = "pressure back under target"
			break
	if on_progress:
		on_progress(report["batches"], report["batches"])
	after = memory_status(client, budget_bytes)
	if not dry_run:
		# Redis's own accounting; UNLINK frees large values in the background, so this can trail slightly.
		report["bytes"] = max(0, before["used_memory"] - after["used_memory"])
	if dry_run:
		report["by_pattern"] = list(by_pattern.values())
		report["bytes"] = sum(group["bytes"] for group in by_pattern.values())
	return {
		**report,
		"stopped": stopped,
		"pressure_after": after["pressure"],
		"duration_s": round(time.monotonic() - started, 3),
	}


def count_page(group: dict, keys: list[bytes], sizes: list) -> None:
	"""A dry run's tally for one pattern: keys, bytes and the first few key names."""
	group["keys"] += len(keys)
	group["bytes"] += sum(size or 0 for size in sizes)
	room = EXAMPLE_KEYS_PER_PATTERN - len(group["examples"])
	group["examples"] += [key.decode(errors="replace") for key in keys[:room]]


def under_target(memory: dict, budget_bytes: int, target: float) -> bool:
	"""Decided from INFO memory, which rides along with each page's UNLINK."""
	limit = int(memory.get("maxmemory", 0)) or budget_bytes
	return bool(limit) and memory["used_memory"] / limit < target
