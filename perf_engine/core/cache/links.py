"""Which DocTypes link to which: computed once from Link fields, stored as one Redis hash."""

import json
from collections import defaultdict
from collections.abc import Iterable

import redis

from perf_engine.core.cache.keys import LINK_MAP


def build(link_fields: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
	"""(parent DocType, linked DocType) pairs -> linked DocType: DocTypes that link to it."""
	linking = defaultdict(set)
	for parent, target in link_fields:
		if parent and target and parent != target:
			linking[target].add(parent)
	return {target: sorted(parents) for target, parents in linking.items()}


def store(client: redis.Redis, prefix: str, link_map: dict[str, list[str]]) -> None:
	"""Replace the stored map atomically."""
	key = prefix + LINK_MAP
	with client.pipeline() as pipe:
		pipe.delete(key)
		if link_map:
			pipe.hset(key, mapping={target: json.dumps(parents) for target, parents in link_map.items()})
		pipe.execute()


def linking_doctypes(client: redis.Redis, prefix: str, doctype: str) -> list[str] | None:
	"""DocTypes linking to `doctype`; None when the map has not been built yet."""
	raw = client.hget(prefix + LINK_MAP, doctype)
	if raw is None:
		return None if not client.exists(prefix + LINK_MAP) else []
	return json.loads(raw)
