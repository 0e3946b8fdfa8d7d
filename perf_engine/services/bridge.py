"""The one place the Frappe layer meets the core: connections, errors, permissions, logging.

Everything here is thin: it reads Frappe's own accessors (`frappe.conf`, `frappe.db`,
`frappe.cache`, `get_redis_conn`) and hands them to `perf_engine.core`. Importing it
routes every `perf_engine.*` logger, the core's included, to Frappe's own logger.
"""

import contextlib
import logging
from collections.abc import Callable, Iterator

import frappe
import pymysql
import redis
from frappe import _
from frappe.utils import get_bench_path
from frappe.utils.background_jobs import get_queues_timeout, get_redis_conn

from perf_engine.core.config import ConnectionSettings, load_settings
from perf_engine.core.errors import InvalidInput, PerfEngineError, ServiceUnavailable

MANAGER_ROLES = ("System Manager", "Performance Manager")
LOGGER = "perf_engine"


class FrappeLogHandler(logging.Handler):
	"""Hands each record to `frappe.logger("perf_engine")`: logs/perf_engine.log, bench-wide and per site."""

	def emit(self, record: logging.LogRecord) -> None:
		frappe.logger(LOGGER).handle(record)


def route_logs_to_frappe() -> None:
	"""Once per process: perf_engine's records go to Frappe's logger instead of a handler-less root."""
	engine = logging.getLogger(LOGGER)
	if not any(isinstance(handler, FrappeLogHandler) for handler in engine.handlers):
		engine.addHandler(FrappeLogHandler())
		engine.propagate = False


route_logs_to_frappe()


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


def cache_redis() -> redis.Redis:
	"""A plain client on Frappe's cache pool: the core adds `cache_prefix()` itself, where
	frappe.cache's own methods would prefix keys a second time."""
	return redis.Redis(connection_pool=frappe.cache.connection_pool)


def cache_prefix() -> str:
	"""The namespace Frappe gives this site's cache keys (`RedisWrapper.make_key`)."""
	return f"{frappe.conf.db_name}|"


def queue_redis() -> redis.Redis:
	"""The Redis connection RQ uses for this bench."""
	return get_redis_conn()


def require_manager() -> None:
	"""Refuse Guest and anyone without a manager role, with a message that says who may."""
	frappe.only_for(MANAGER_ROLES)


def progress(title: str) -> Callable[[int, int], None]:
	"""An `on_progress` callback for core functions: Frappe's realtime progress bar in Desk."""
	return lambda done, total: frappe.publish_progress(done * 100 / max(total, 1), title=title)


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
