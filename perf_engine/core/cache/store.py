"""Cached documents, lists and reports over Redis, invalidated by generation counters.

Values are stored as JSON (with `default=str` for dates and decimals), so any process and
any language can read them and nothing executable is ever unpickled from Redis.
"""

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

import redis

from perf_engine.core.cache import keys
from perf_engine.core.cache.l1 import MISSING, L1Cache
from perf_engine.core.ratelimit import RateLimitedLog

logger = logging.getLogger(__name__)

# Generation counters never expire (one small key per DocType): a counter that expired and
# restarted from 0 could meet values cached under its earlier numbers.
DEFAULT_TTL_S = 3600


class SiteCache:
	"""One site's cache: `prefix` is the site's key namespace, e.g. `_abc123|`."""

	def __init__(
		self, client: redis.Redis, prefix: str, ttl_s: int = DEFAULT_TTL_S, l1: L1Cache | None = None
	):
		self.client = client
		self.prefix = prefix
		self.ttl_s = ttl_s
		self.l1 = l1
		self.failures = RateLimitedLog(logger)

	def key(self, template: str, **parts: Any) -> str:
		return self.prefix + template.format(**parts)

	def read(self, key: str, loader: Callable[[], Any]) -> Any:
		"""L1, then Redis, then the loader, filling the layers it missed."""
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
		return self.read(self.key(keys.DOC, doctype=doctype, name=name), loader)

	def get_list(self, doctype: str, params: dict, loader: Callable[[], list]) -> list:
		(generation,) = self.generations([doctype])
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

	def invalidate(self, doctype: str, name: str | None = None, linking: Iterable[str] = ()) -> bool:
		"""Drop a document's entry and bump its DocType's and linking DocTypes' generations.

		One pipelined round trip whatever the number of cached keys. Returns False, and logs
		at most once a minute, when Redis cannot be reached: callers never fail because of it.
		"""
		doctypes = [doctype, *linking]
		gen_keys = [self.key(keys.GENERATION, doctype=d) for d in doctypes]
		doc_key = self.key(keys.DOC, doctype=doctype, name=name) if name else None
		if self.l1 is not None:
			self.l1.discard(*gen_keys, *([doc_key] if doc_key else []))
		try:
			with self.client.pipeline(transaction=False) as pipe:
				if doc_key:
					pipe.unlink(doc_key)
				for gen_key in gen_keys:
					pipe.incr(gen_key)
				pipe.execute()
			return True
		except redis.RedisError as exc:
			self.failures.error("cache invalidation for %s failed, Redis unreachable: %s", doctype, exc)
			return False
