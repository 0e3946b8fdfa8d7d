"""Which DocTypes' lists and reports a change to a DocType can make stale, with Frappe's semantics.

As in `frappe.desk.form.linked_with`: a Link inside a child table counts for the child's
parent DocTypes (child rows fire no document events, and lists and reports are of
parents); a Dynamic Link can point at any DocType, so the DocType holding it depends on
every other one: its lists and reports also read the generation ANY_DOCTYPE, which every
committed change bumps (one counter, where bumping each such DocType's would cost two dozen
on a plain Frappe site). The map is built from metadata rows in one pass and stored in Redis as one
hash that records the version it was built for; the version counter is bumped after a
commit that changed DocTypes, Custom Fields or Property Setters. Each process keeps its copy
and reads the version back from the command of its next invalidation, so using the map
costs no round trip of its own.
"""

import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import redis

from perf_engine.core.cache.keys import LINK_MAP, LINK_MAP_VERSION

LINK = "link"
DYNAMIC_LINK = "dynamic_link"
TABLE = "table"
# Hash fields of the stored map besides its targets: the version it was built for, and the
# DocTypes holding a Dynamic Link (which DocType names cannot collide with). ANY_DOCTYPE is
# also the name of the generation those DocTypes' lists and reports read.
VERSION_FIELD = ":version"
ANY_DOCTYPE = "*"
# A process that only reads learns of a schema change within this time.
RECHECK_S = 5

LinkRow = tuple[str, str, str]


@dataclass(frozen=True)
class LinkMap:
	"""DocType -> DocTypes whose lists and reports read it, as of one version of the schema."""

	version: int
	linking: dict[str, list[str]] = field(default_factory=dict)

	def parents(self, doctype: str) -> list[str]:
		"""Generations to bump beside `doctype`'s own when one of its documents changes."""
		linking = [parent for parent in self.linking.get(doctype, []) if parent != doctype]
		return linking + ([ANY_DOCTYPE] if ANY_DOCTYPE in self.linking else [])

	def extra_generations(self, doctypes: Iterable[str]) -> list[str]:
		"""What lists and reports over `doctypes` read beside their own generations: ANY_DOCTYPE's
		when one of them holds a Dynamic Link."""
		holders = self.linking.get(ANY_DOCTYPE, ())
		return [ANY_DOCTYPE] if any(doctype in holders for doctype in doctypes) else []

	def generations(self, doctypes: Iterable[str]) -> list[str]:
		doctypes = list(doctypes)
		return doctypes + self.extra_generations(doctypes)


def build(rows: Iterable[LinkRow]) -> dict[str, list[str]]:
	"""(kind, DocType holding the field, options) rows -> DocType: DocTypes that depend on it.

	kind is LINK (options: the linked DocType), TABLE (options: the child DocType) or
	DYNAMIC_LINK (options: the field naming the DocType, which can be any).
	"""
	links, dynamic, parents_of = [], set(), defaultdict(set)
	for kind, holder, options in rows:
		if not holder or not options:
			continue
		if kind == TABLE:
			parents_of[options].add(holder)
		elif kind == LINK:
			links.append((holder, options))
		elif kind == DYNAMIC_LINK:
			dynamic.add(holder)
	owners = lambda holder: parents_of.get(holder) or {holder}  # noqa: E731
	linking = defaultdict(set)
	for holder, target in links:
		linking[target] |= owners(holder) - {target}
	for holder in dynamic:
		linking[ANY_DOCTYPE] |= owners(holder)
	return {target: sorted(parents) for target, parents in linking.items() if parents}


def store(client: redis.Redis, prefix: str, link_map: LinkMap) -> None:
	"""Replace the stored map, with the version it was built for, atomically."""
	key = prefix + LINK_MAP
	mapping = {target: json.dumps(parents) for target, parents in link_map.linking.items()}
	with client.pipeline() as pipe:
		pipe.delete(key)
		pipe.hset(key, mapping={**mapping, VERSION_FIELD: link_map.version})
		pipe.execute()


def parse(stored: dict[bytes, bytes]) -> LinkMap | None:
	"""The map from its hash, or None when there is none."""
	if not stored or VERSION_FIELD.encode() not in stored:
		return None
	version = int(stored.pop(VERSION_FIELD.encode()))
	return LinkMap(version, {target.decode(): json.loads(parents) for target, parents in stored.items()})


def version_key(prefix: str) -> str:
	"""The counter bumped after a committed schema change: every process then rebuilds its map once."""
	return prefix + LINK_MAP_VERSION


def version_of(reply: bytes | None) -> int:
	return int(reply or 0)


def current(client: redis.Redis, prefix: str, load_rows: Callable[[], Iterable[LinkRow]]) -> LinkMap:
	"""The stored map if it was built for the current version, else one built now and stored."""
	with client.pipeline(transaction=False) as pipe:
		pipe.get(version_key(prefix))
		pipe.hgetall(prefix + LINK_MAP)
		reply, stored = pipe.execute()
	version, link_map = version_of(reply), parse(stored)
	if link_map is None or link_map.version != version:
		link_map = LinkMap(version, build(load_rows()))
		store(client, prefix, link_map)
	return link_map


class ProcessLinkMaps:
	"""This process's copy of each site's map. Invalidations check its version in their own
	command; reads re-check it at most every RECHECK_S, with one GET."""

	def __init__(self):
		self.maps: dict[str, LinkMap] = {}
		self.checked_at: dict[str, float] = {}

	def get(self, prefix: str) -> LinkMap | None:
		return self.maps.get(prefix)

	def load(self, client: redis.Redis, prefix: str, load_rows: Callable[[], Iterable[LinkRow]]) -> LinkMap:
		"""The current map, now: stored or built."""
		self.maps[prefix] = current(client, prefix, load_rows)
		self.checked_at[prefix] = time.monotonic()
		return self.maps[prefix]

	def for_reading(
		self, client: redis.Redis, prefix: str, load_rows: Callable[[], Iterable[LinkRow]]
	) -> LinkMap:
		"""This process's map, loaded on first use and re-checked when RECHECK_S have passed."""
		known = self.maps.get(prefix)
		if known is not None and time.monotonic() - self.checked_at.get(prefix, 0) < RECHECK_S:
			return known
		if known is None or version_of(client.get(version_key(prefix))) != known.version:
			return self.load(client, prefix, load_rows)
		self.checked_at[prefix] = time.monotonic()
		return known

	def forget(self, prefix: str) -> None:
		self.maps.pop(prefix, None)
