"""The one place the Frappe layer meets the core: connections, errors, permissions, logging.

Everything here is thin: it reads Frappe's own accessors (`frappe.conf`, `frappe.db`,
`frappe.cache`, `get_redis_conn`) and hands them to `perf_engine.core`. Redis clients are
the core's ServiceRedis on Frappe's own pools, so an outage comes back as one readable
error; `core_errors` turns every core error into a Frappe error, never a 500 traceback.
Importing it routes every `perf_engine.*` logger, the core's included, to Frappe's logger.
"""

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator

import frappe
import pymysql
import redis
from frappe import _
from frappe.utils import get_bench_path, update_progress_bar
from frappe.utils.background_jobs import get_queues_timeout, get_redis_conn

from perf_engine.core.cache.own_connection import OwnConnection
from perf_engine.core.config import ConnectionSettings, load_settings
from perf_engine.core.connections import CACHE_REDIS, QUEUE_REDIS, ServiceRedis, service_redis
from perf_engine.core.errors import InvalidInput, NotPermitted, PerfEngineError, ServiceUnavailable
from perf_engine.core.service_errors import is_service_failure, redis_location, redis_unavailable

MANAGER_ROLES = ("System Manager", "Performance Manager")
SETTINGS = {
	CACHE_REDIS: "redis_cache in common_site_config.json",
	QUEUE_REDIS: "redis_queue in common_site_config.json",
}
# Where a failure raised inside Frappe's own accessors (frappe.enqueue) may come from.
FRAPPE_REDIS_SETTINGS = "redis_queue and redis_cache in common_site_config.json"


class ServiceUnavailableError(frappe.ValidationError):
	"""MariaDB or Redis cannot serve the request: 503 with the core's one-line message."""

	http_status_code = 503


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


def cache_pool() -> redis.ConnectionPool:
	"""Frappe's own connection pool for the cache Redis."""
	return frappe.cache.connection_pool


def queue_pool() -> redis.ConnectionPool:
	"""The pool of Frappe's RQ connection, which pings Redis the first time a process asks for it."""
	try:
		return get_redis_conn().connection_pool
	except redis.exceptions.RedisError as exc:
		if not is_service_failure(exc):
			raise
		location = redis_location(redis.connection.parse_url(frappe.conf.redis_queue))
		raise redis_unavailable(QUEUE_REDIS, SETTINGS[QUEUE_REDIS], location, exc) from exc


# One client per process over Frappe's cache pool: building one per call cost a third of a
# document event's time.
_cache_client: ServiceRedis | None = None
_cache_own_connection: OwnConnection | None = None


def cache_redis() -> ServiceRedis:
	"""A plain client on Frappe's cache pool: the core adds `cache_prefix()` itself, where
	frappe.cache's own methods would prefix keys a second time."""
	global _cache_client
	pool = cache_pool()
	if _cache_client is None or _cache_client.connection_pool is not pool:
		_cache_client = service_redis(pool, CACHE_REDIS, SETTINGS[CACHE_REDIS])
	return _cache_client


def cache_own_connection() -> OwnConnection:
	"""This process's own connection to the cache Redis, for the after-commit invalidation."""
	global _cache_own_connection
	client = cache_redis()
	if _cache_own_connection is None or _cache_own_connection.client is not client:
		if _cache_own_connection is not None:
			_cache_own_connection.drop()
		_cache_own_connection = OwnConnection(client)
	return _cache_own_connection


def cache_prefix() -> str:
	"""The namespace Frappe gives this site's cache keys (`RedisWrapper.make_key`)."""
	return f"{frappe.conf.db_name}|"


def queue_redis() -> ServiceRedis:
	"""The Redis connection RQ uses for this bench."""
	return service_redis(queue_pool(), QUEUE_REDIS, SETTINGS[QUEUE_REDIS])


def follow_transaction(
	pending: object, on_commit: Callable[[], None], on_rollback: Callable[[], None]
) -> None:
	"""Register the callbacks once per connection on `pending` (which keeps `registered_on`): work that
	must wait for this transaction's commit, or be dropped with its rollback."""
	db = frappe.local.db  # the connection itself: frappe.db is a proxy that never changes
	if pending.registered_on is not db:
		db.after_commit.add(on_commit)
		db.after_rollback.add(on_rollback)
		pending.registered_on = db


def require_manager() -> None:
	"""Refuse Guest and anyone without a manager role, with a message that says who may."""
	frappe.only_for(MANAGER_ROLES)


def progress(title: str) -> Callable[[int, int], None]:
	"""An `on_progress` callback for core functions: Frappe's realtime progress bar in Desk, and a bar on
	the terminal when a person runs the work there (`bench execute`, the console), never in a job's log."""
	terminal = sys.stdout.isatty() and not getattr(frappe.local, "request", None)

	def show(done: int, total: int) -> None:
		total = max(total, 1)
		frappe.publish_progress(done * 100 / total, title=title)
		if terminal:
			update_progress_bar(title, max(done - 1, 0), total)
			if done >= total:
				sys.stdout.write("\n")

	return show


@contextlib.contextmanager
def core_errors() -> Iterator[None]:
	"""Turn the core's errors into Frappe's, so Desk and REST show the readable message alone.

	Also a decorator: every whitelisted method wears it. A Redis failure raised by Frappe's
	own accessors (frappe.enqueue) is mapped the same way, naming the address it reports."""
	try:
		yield
	except InvalidInput as exc:
		throw(exc, frappe.ValidationError, _("Invalid input"))
	except NotPermitted as exc:
		throw(exc, frappe.PermissionError, _("Not permitted"))
	except ServiceUnavailable as exc:
		throw(exc, ServiceUnavailableError, _("Service unavailable"))
	except redis.exceptions.RedisError as exc:
		if not is_service_failure(exc):
			raise
		unavailable = redis_unavailable("Redis", FRAPPE_REDIS_SETTINGS, "the address Frappe uses", exc)
		throw(unavailable, ServiceUnavailableError, _("Service unavailable"))
	except PerfEngineError as exc:
		throw(exc, frappe.ValidationError, _("Error"))


def throw(exc: Exception, kind: type[Exception], title: str) -> None:
	"""The message is the whole answer: a traceback beside it would only bury it."""
	if getattr(frappe.local, "request", None):
		frappe.local.flags.disable_traceback = True
	frappe.throw(str(exc), kind, title=title)
