"""Redis memory pressure: status from INFO and a sampled breakdown by key prefix.

Measures: used and peak memory, maxmemory and its policy, fragmentation (the allocator's
own ratio and bytes, which stay meaningful on small instances where the RSS ratio
misleads), evicted and expired keys, hit rate, keys per database, and pressure = used /
maxmemory (or a configured budget when maxmemory is 0). A bench's sites share one cache
Redis, so pressure is the whole instance's, not one site's.
"""

from collections import defaultdict

import redis

BREAKDOWN_SAMPLE = 2000
SCAN_COUNT = 1000
SHARED_NOTE = "All sites of a bench share this Redis: pressure and evictions are the whole instance's."


def memory_status(client: redis.Redis, budget_bytes: int = 0) -> dict:
	"""Everything the page and the cleanup decide on, from one INFO call."""
	info = client.info()
	maxmemory = int(info.get("maxmemory", 0))
	limit = maxmemory or budget_bytes
	hits, misses = info.get("keyspace_hits", 0), info.get("keyspace_misses", 0)
	return {
		"used_memory": info["used_memory"],
		"used_memory_peak": info["used_memory_peak"],
		"maxmemory": maxmemory,
		"maxmemory_policy": info.get("maxmemory_policy"),
		"budget_bytes": budget_bytes,
		"limit_bytes": limit,
		"limit_source": "maxmemory" if maxmemory else ("budget" if budget_bytes else None),
		"pressure": round(info["used_memory"] / limit, 4) if limit else None,
		"allocator_frag_ratio": info.get("allocator_frag_ratio"),
		"allocator_frag_bytes": info.get("allocator_frag_bytes"),
		"rss_frag_ratio": info.get("mem_fragmentation_ratio"),
		"evicted_keys": info.get("evicted_keys", 0),
		"expired_keys": info.get("expired_keys", 0),
		"hit_rate": round(hits / (hits + misses), 4) if hits + misses else None,
		"keys_per_db": {name: stats["keys"] for name, stats in info.items() if name.startswith("db")},
		"note": SHARED_NOTE,
	}


def prefix_of(key: str) -> str:
	"""'_abc|document_cache::User::x' -> '_abc|document_cache'; 'rq:job:1' -> 'rq'."""
	site, sep, rest = key.partition("|")
	if not sep:
		site, rest = "", key
	else:
		site += sep
	return site + rest.split(":", 1)[0]


def breakdown(client: redis.Redis, match: str = "*", sample: int = BREAKDOWN_SAMPLE) -> dict:
	"""Memory by key prefix over a bounded SCAN sample, measured with MEMORY USAGE."""
	sampled = []
	for key in client.scan_iter(match=match, count=SCAN_COUNT):
		sampled.append(key)
		if len(sampled) >= sample:
			break
	with client.pipeline(transaction=False) as pipe:
		for key in sampled:
			pipe.memory_usage(key)
		sizes = pipe.execute()
	groups: dict[str, dict] = defaultdict(lambda: {"keys": 0, "bytes": 0})
	for key, size in zip(sampled, sizes, strict=True):
		group = groups[prefix_of(key.decode(errors="replace"))]
		group["keys"] += 1
		group["bytes"] += size or 0
	rows = sorted(({"prefix": p, **g} for p, g in groups.items()), key=lambda r: -r["bytes"])
	return {"sampled_keys": len(sampled), "complete": len(sampled) < sample, "prefixes": rows}
