"""The one place the Frappe layer meets the core: connections, settings, errors, permissions.

Everything here is thin: it reads Frappe's own accessors (`frappe.conf`, `frappe.db`,
`frappe.cache`, `get_redis_conn`) and hands them to `perf_engine.core`.
"""

import contextlib
from collections.abc import Iterator

import frappe
import pymysql
import redis
from frappe import _
from frappe.utils import get_bench_path
from frappe.utils.background_jobs import get_queues_timeout, get_redis_conn

from perf_engine.core.config import ConnectionSettings, load_settings
from perf_engine.core.errors import InvalidInput, PerfEngineError, ServiceUnavailable

MANAGER_ROLES = ("System Manager", "Performance Manager")


def connection_settings() -> ConnectionSettings:
	"""The current site's settings as the core expects them, read from frappe.conf."""
	return load_settings(
		{
			"bench_path": get_bench_path(),
			"site": frappe.local.site,
			"queues": tuple(get_queues_timeout()),
		},
		environ={},
	)


def db_connection() -> pymysql.Connection:
	"""The site's own PyMySQL connection, so core reads see this request's transaction."""
	if not frappe.db._conn:
		frappe.db.connect()
	return frappe.db._conn


# One plain client per process over Frappe's cache pool: building one per call cost a third
# of a document event's time.
_cache_client: redis.Redis | None = None


def cache_redis() -> redis.Redis:
	"""A plain client on Frappe's cache pool: the core adds `cache_prefix()` itself, where
	frappe.cache's own methods would prefix keys a second time."""
	global _cache_client
	pool = frappe.cache.connection_pool
	if _cache_client is None or _cache_client.connection_pool is not pool:
		_cache_client = redis.Redis(connection_pool=pool)
	return _cache_client


def cache_prefix() -> str:
	"""The namespace Frappe gives this site's cache keys (`RedisWrapper.make_key`)."""
	return f"{frappe.conf.db_name}|"


def queue_redis() -> redis.Redis:
	"""The Redis connection RQ uses for this bench."""
	return get_redis_conn()


def require_manager() -> None:
	"""Refuse Guest and anyone without a manager role, with a message that says who may."""
	frappe.only_for(MANAGER_ROLES)


@contextlib.contextmanager
def core_errors() -> Iterator[None]:
	"""Turn the core's errors into Frappe's, so Desk and REST show a readable message."""
	try:
		yield
	except InvalidInput as exc:
		frappe.throw(str(exc), frappe.ValidationError, title=_("Invalid input"))
	except ServiceUnavailable as exc:
		frappe.throw(str(exc), title=_("Service unavailable"))
	except PerfEngineError as exc:
		frappe.throw(str(exc))
