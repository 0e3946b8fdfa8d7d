"""What an open transaction changed, and its one invalidation once it committed.

A change is invisible to other connections until commit, so invalidating before then lets
another process cache the old row again under the new generation. Instead, the writer's
own process reads around the cache for whatever its open transaction changed (it sees its
own writes, and stores none of them where other processes would read them), and after
commit one pipelined round trip drops the documents and bumps the generations of their
DocTypes and of the DocTypes linking to them. A rollback changed nothing anyone could have
cached, so it only forgets the record.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import redis

from perf_engine.core.cache import links
from perf_engine.core.cache.links import LinkMap, LinkRow, ProcessLinkMaps
from perf_engine.core.cache.store import SiteCache
from perf_engine.core.ratelimit import RateLimitedLog

failures = RateLimitedLog(logging.getLogger(__name__))


@dataclass
class PendingChanges:
	"""Documents and DocTypes one transaction changed; `follow_links` off during install and migrate."""

	docs: set[tuple[str, str]] = field(default_factory=set)
	doctypes: set[str] = field(default_factory=set)
	# DocTypes whose linking DocTypes are invalidated too.
	linked: set[str] = field(default_factory=set)
	schema_changed: bool = False
	# What the transaction's commit and rollback callbacks were registered on (the caller's business).
	registered_on: object = None

	def record(self, doctype: str, name: str | None, follow_links: bool = True) -> None:
		self.doctypes.add(doctype)
		if name:
			self.docs.add((doctype, name))
		if follow_links:
			self.linked.add(doctype)

	def __bool__(self) -> bool:
		return bool(self.doctypes or self.schema_changed)

	def touches_doc(self, doctype: str, name: str) -> bool:
		return (doctype, name) in self.docs

	def touches(self, doctypes: Iterable[str], link_map: Callable[[], LinkMap]) -> bool:
		"""Whether a list or report over `doctypes` may read something this transaction changed."""
		doctypes = set(doctypes)
		if doctypes & self.doctypes:
			return True
		if not self.linked:
			return False
		current = link_map()
		return bool(set(current.generations(doctypes)) & parents_of(current, self.linked))

	def take(self) -> "PendingChanges":
		"""Hand the record over and start an empty one, so a new transaction registers afresh."""
		taken = PendingChanges(set(self.docs), set(self.doctypes), set(self.linked), self.schema_changed)
		self.docs.clear()
		self.doctypes.clear()
		self.linked.clear()
		self.schema_changed = False
		self.registered_on = None
		return taken


def invalidate_committed(
	cache: SiteCache,
	link_maps: ProcessLinkMaps,
	changes: PendingChanges,
	load_rows: Callable[[], Iterable[LinkRow]],
) -> bool:
	"""After commit: one command drops the documents, bumps the generations, and reads back the
	link map's version, so this process learns in the same round trip whether its map is current.

	A second round trip happens only when this process has no map yet or the schema changed
	since it built one. Returns False (logged at most once a minute) when Redis is unreachable.
	"""
	client, prefix = cache.client, cache.prefix
	version_key = links.version_key(prefix)
	try:
		known = link_maps.get(prefix)
		if changes.linked and known is None:
			known = link_maps.load(client, prefix, load_rows)
		doctypes = changes.doctypes | parents_of(known, changes.linked)
		counters = [version_key] if changes.schema_changed else []
		reply = cache.drop_and_bump(sorted(changes.docs), sorted(doctypes), counters, read_back=version_key)
		if changes.schema_changed:
			link_maps.forget(prefix)
		elif known is not None and known.version != links.version_of(reply):
			fresh = link_maps.load(client, prefix, load_rows)
			missed = parents_of(fresh, changes.linked) - doctypes
			if missed:
				cache.drop_and_bump(doctypes=sorted(missed))
		return True
	except redis.RedisError as exc:
		failures.error("cache invalidation after commit failed, Redis unreachable: %s", exc)
		return False


def parents_of(link_map: LinkMap | None, doctypes: Iterable[str]) -> set[str]:
	if link_map is None:
		return set()
	return {parent for doctype in doctypes for parent in link_map.parents(doctype)}
