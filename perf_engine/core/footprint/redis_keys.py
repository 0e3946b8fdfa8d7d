"""perf_engine's keys in the cache and queue Redis, counted and sized by family within a bounded scan,
and the connections it opens of its own.

A family is every key under one prefix. The cache Redis holds a site's families under the site's
namespace (`<db_name>|perf_engine:...`); the queue Redis holds the bench's, without one. Counting
walks `SCAN MATCH <namespace>perf_engine:*` at most `MAX_SCAN_CALLS` times (a Redis of any size costs
a bounded number of round trips, and an unfinished walk says so), and sizes each family from
`MEMORY USAGE` of at most `SIZE_SAMPLE` of its keys, scaled to its count.
"""

from collections import defaultdict
from dataclasses import dataclass

import redis

from perf_engine.core.cache.own_connection import NAME as CONNECTION_NAME
from perf_engine.core.redis.cleanup import escape_glob

ROOT = "perf_engine:"
SCAN_COUNT = 1000
MAX_SCAN_CALLS = 100
SIZE_SAMPLE = 50
OTHER = "other"

# (family, the prefix after the namespace); the longest matching prefix names a key's family.
CACHE_FAMILIES = (
	("cached documents", "perf_engine:doc:"),
	("fill leases", "perf_engine:lease:"),
	("cached lists", "perf_engine:list:"),
	("cached reports", "perf_engine:report:"),
	("generation counters", "perf_engine:gen:"),
	("link map", "perf_engine:link_map"),
	("locks", "perf_engine:lock:"),
	("event counters", "perf_engine:events:"),
	("list guard evidence", "perf_engine:list_guard:"),
	("job ledger", "perf_engine:self:"),
	("schedule marks", "perf_engine:last_"),
	("schedule marks", "perf_engine:deadlock_watch"),
	("SLA periods", "perf_engine:sla_periods"),
)
QUEUE_FAMILIES = (
	("job statistics", "perf_engine:jobstats:"),
	("bench turns", "perf_engine:bench:"),
	("worker hosts", "perf_engine:jobs:worker_hosts"),
	("fan-outs", "perf_engine:fanout:"),
	("bench ledger", "perf_engine:self:"),
)


@dataclass(frozen=True)
class Scan:
	"""Keys and bytes by family, and whether the walk reached the end of the keyspace."""

	families: dict[str, dict]
	complete: bool

	def total(self, measure: str) -> int:
		return sum(family[measure] for family in self.families.values())


def family_of(key: str, families: tuple[tuple[str, str], ...]) -> str:
	"""The family whose prefix is the longest start of `key` (namespace removed), or "other"."""
	matches = [(len(prefix), name) for name, prefix in families if key.startswith(prefix)]
	return max(matches)[1] if matches else OTHER


def scan(
	client: redis.Redis,
	namespace: str,
	families: tuple[tuple[str, str], ...],
	max_calls: int = MAX_SCAN_CALLS,
) -> Scan:
	"""Count perf_engine's keys under `namespace` by family and size each from a sample of its keys."""
	counts: dict[str, int] = defaultdict(int)
	samples: dict[str, list[bytes]] = defaultdict(list)
	match = escape_glob(namespace + ROOT) + "*"
	cursor, calls = 0, 0
	while True:
		cursor, keys = client.scan(cursor, match=match, count=SCAN_COUNT)
		calls += 1
		for key in keys:
			family = family_of(key.decode(errors="replace")[len(namespace) :], families)
			counts[family] += 1
			if len(samples[family]) < SIZE_SAMPLE:
				samples[family].append(key)
		if cursor == 0 or calls >= max_calls:
			break
	return Scan(sized(client, counts, samples), complete=cursor == 0)


def sized(client: redis.Redis, counts: dict[str, int], samples: dict[str, list[bytes]]) -> dict[str, dict]:
	"""Each family's keys and bytes: the sample's mean MEMORY USAGE times the family's count."""
	with client.pipeline(transaction=False) as pipe:
		for keys in samples.values():
			for key in keys:
				pipe.memory_usage(key)
		sizes = iter(pipe.execute())
	result = {}
	for family, keys in samples.items():
		measured = [next(sizes) or 0 for _ in keys]
		mean = sum(measured) / len(measured)
		result[family] = {"keys": counts[family], "bytes": round(mean * counts[family])}
	return dict(sorted(result.items()))


def own_connections(client: redis.Redis) -> int:
	"""How many connections to this Redis perf_engine's processes keep of their own (they name themselves)."""
	return sum(1 for entry in client.client_list() if entry.get("name") == CONNECTION_NAME)


def limits(client: redis.Redis) -> dict[str, int]:
	"""The server's memory limit (0: none) and connection limit, from one INFO."""
	info = client.info()
	return {"maxmemory": int(info.get("maxmemory") or 0), "maxclients": int(info.get("maxclients") or 0)}
