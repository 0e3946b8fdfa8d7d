"""Cached documents, lists and reports over Redis, invalidated by generation counters and leases.

Values are stored as JSON (with `default=str` for dates and decimals), so any process and
any language can read them and nothing executable is ever unpickled from Redis.

Freshness: a list or report key is computed from generations read before its loader runs,
and a document is stored only if the lease taken on its miss is still there; invalidation
bumps the generations and deletes the value and its lease. So a value loaded before a change
committed, whenever it arrives, is never served after that change's invalidation.
"""

import json
import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

import redis
from redis.commands.core import Script

from perf_engine.core.cache import keys
from perf_engine.core.cache.l1 import MISSING, L1Cache
from perf_engine.core.cache.own_connection import OwnConnection
from perf_engine.core.ratelimit import RateLimitedLog

logger = logging.getLogger(__name__)

# Generation counters never expire (one small key per DocType): a counter that expired and
# restarted from 0 could meet values cached under its earlier numbers.
DEFAULT_TTL_S = 3600
# A load slower than this is returned but not stored.
LEASE_MS = 30_000
LEASE_TOKEN_BYTES = 8

# KEYS: value, lease. ARGV: token, lease ms. The value, or nil after taking the lease.
READ_OR_LEASE = Script(
	None,
	b"""local value = redis.call('GET', KEYS[1])
if value then return value end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return false""",
)
# KEYS: value, lease. ARGV: token, value, ttl s. 1 when stored, 0 when the lease was revoked.
FILL_IF_LEASED = Script(
	None,
	b"""if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
redis.call('DEL', KEYS[2])
return 1""",
)
# KEYS: values to drop (ARGV[1] of them), counters to bump, then one key to read back when
# ARGV[2] is 1. One command, whatever the number of keys: redis-py spends ~10 us on each
# command of a pipeline, which for a save's two dozen counters was most of its cost.
DROP_AND_BUMP = Script(
	None,
	b"""local dropped, last = tonumber(ARGV[1]), #KEYS - tonumber(ARGV[2])
for first = 1, dropped, 1000 do
	redis.call('UNLINK', unpack(KEYS, first, math.min(first + 999, dropped)))
end
for i = dropped + 1, last do redis.call('INCR', KEYS[i]) end
if last < #KEYS then return redis.call('GET', KEYS[#KEYS]) end
return false""",
)


class SiteCache:
	"""One site's cache: `prefix` is the site's key namespace, e.g. `_abc123|`."""

	def __init__(
		self,
		client: redis.Redis,
		prefix: str,
		ttl_s: int = DEFAULT_TTL_S,
		l1: L1Cache | None = None,
		own: OwnConnection | None = None,
	):
		self.client = client
		self.prefix = prefix
		self.ttl_s = ttl_s
		self.l1 = l1
		# Where drop_and_bump sends its command when given: a connection the process keeps for it.
		self.own = own
		self.failures = RateLimitedLog(logger)

	def key(self, template: str, **parts: Any) -> str:
		return self.prefix + template.format(**parts)

	def read(self, key: str, loader: Callable[[], Any]) -> Any:
		"""L1, then Redis, then the loader, filling the layers it missed (for generation-keyed values)."""
		if self.l1 is not None and (value := self.l1.get(key)) is not MISSING:
			return value
		raw = self.client.get(key)
		if raw is None:
			value = loader()
			self.client.set(key, json.dumps(value, default=str), ex=self.ttl_s)
		else:
			value = json.loads(raw)
		if self.l1 is not None:
			self.l1.set(key, value)
		return value

	def read_leased(self, key: str, lease_key: str, loader: Callable[[], Any]) -> Any:
		"""Like `read`, but a miss takes a lease and the value is stored only while it holds."""
		if self.l1 is not None and (value := self.l1.get(key)) is not MISSING:
			return value
		token = os.urandom(LEASE_TOKEN_BYTES).hex()
		raw = READ_OR_LEASE(keys=[key, lease_key], args=[token, LEASE_MS], client=self.client)
		if raw is not None:
			value = json.loads(raw)
		else:
			value = loader()
			encoded = json.dumps(value, default=str)
			stored = FILL_IF_LEASED(
				keys=[key, lease_key], args=[token, encoded, self.ttl_s], client=self.client
			)
			if not stored:
				return value
		if self.l1 is not None:
			self.l1.set(key, value)
		return value

	def generations(self, doctypes: Iterable[str]) -> list[int]:
		"""Current generation of each DocType (0 before the first change), via L1 when on."""
		doctypes = list(doctypes)
		gen_keys = [self.key(keys.GENERATION, doctype=d) for d in doctypes]
		cached = [self.l1.get(k) if self.l1 is not None else MISSING for k in gen_keys]
		missing = [k for k, v in zip(gen_keys, cached, strict=True) if v is MISSING]
		fetched = dict(zip(missing, self.client.mget(missing), strict=True)) if missing else {}
		result = []
		for key, value in zip(gen_keys, cached, strict=True):
			if value is MISSING:
				value = int(fetched[key] or 0)
				if self.l1 is not None:
					self.l1.set(key, value)
			result.append(value)
		return result

	def get_doc(self, doctype: str, name: str, loader: Callable[[], dict]) -> dict:
		key, lease = (
			self.key(keys.DOC, doctype=doctype, name=name),
			self.key(keys.DOC_LEASE, doctype=doctype, name=name),
		)
		return self.read_leased(key, lease, loader)

	def get_list(
		self, doctype: str, params: dict, loader: Callable[[], list], depends_on: Iterable[str] = ()
	) -> list:
		"""A list of `doctype`, valid until it or a generation in `depends_on` changes."""
		generation = ".".join(map(str, self.generations([doctype, *depends_on])))
		key = self.key(keys.LIST, doctype=doctype, generation=generation, digest=keys.digest(params))
		return self.read(key, loader)

	def get_report(
		self, report: str, doctypes: Iterable[str], params: dict, loader: Callable[[], Any]
	) -> Any:
		"""A report result valid until any DocType it reads changes."""
		doctypes = sorted(doctypes)
		generations = ".".join(map(str, self.generations(doctypes)))
		key = self.key(
			keys.REPORT, report=report, generations=generations, digest=keys.digest({"d": doctypes, **params})
		)
		return self.read(key, loader)

	def drop_and_bump(
		self,
		docs: Iterable[tuple[str, str]] = (),
		doctypes: Iterable[str] = (),
		counters: Iterable[str] = (),
		read_back: str | None = None,
	) -> bytes | None:
		"""Drop documents with their leases and bump DocTypes' generations (and any other
		`counters`, full keys) in one command, returning the value of `read_back`.

		One round trip whatever the number of cached keys; raises redis.RedisError.
		"""
		doc_keys = [
			self.key(template, doctype=d, name=n) for d, n in docs for template in (keys.DOC, keys.DOC_LEASE)
		]
		gen_keys = [self.key(keys.GENERATION, doctype=d) for d in doctypes]
		if self.l1 is not None:
			self.l1.discard(*doc_keys, *gen_keys)
		all_keys = [*doc_keys, *gen_keys, *counters, *([read_back] if read_back else [])]
		args = [len(doc_keys), int(bool(read_back))]
		if self.own is not None:
			return self.own.run_script(DROP_AND_BUMP, all_keys, args)
		return DROP_AND_BUMP(keys=all_keys, args=args, client=self.client)

	def invalidate(self, docs: Iterable[tuple[str, str]] = (), doctypes: Iterable[str] = ()) -> bool:
		"""`drop_and_bump` for callers that must never fail because of the cache.

		Returns False, and logs at most once a minute, when Redis cannot be reached.
		"""
		try:
			self.drop_and_bump(docs, doctypes)
			return True
		except redis.RedisError as exc:
			self.failures.error("cache invalidation failed, Redis unreachable: %s", exc)
			return False
