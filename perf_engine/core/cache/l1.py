"""A bounded per-process LRU with a TTL, in front of Redis.

Staleness bound: a value changed by another process can be served from here for at most
`ttl_s` seconds (generations are cached with the same TTL). A change made through this
process's own cache invalidates the entries here at once, so it is never served stale.
"""

import time
from collections import OrderedDict
from typing import Any

MISSING = object()


class L1Cache:
	"""Least-recently-used entries, each valid for ttl_s seconds."""

	def __init__(self, max_entries: int, ttl_s: float):
		self.max_entries = max_entries
		self.ttl_s = ttl_s
		self.entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()

	def get(self, key: str) -> Any:
		"""The live value, or MISSING; a hit becomes the most recently used."""
		entry = self.entries.get(key)
		if entry is None:
			return MISSING
		expires_at, value = entry
		if expires_at < time.monotonic():
			del self.entries[key]
			return MISSING
		self.entries.move_to_end(key)
		return value

	def set(self, key: str, value: Any) -> None:
		"""Store and evict the least recently used entries beyond the bound."""
		self.entries[key] = (time.monotonic() + self.ttl_s, value)
		self.entries.move_to_end(key)
		while len(self.entries) > self.max_entries:
			self.entries.popitem(last=False)

	def discard(self, *keys: str) -> None:
		for key in keys:
			self.entries.pop(key, None)

	def __len__(self) -> int:
		return len(self.entries)
