"""Open MariaDB and Redis connections whose failures name the service, where it is and what to check.

A `ServiceRedis` is a plain redis client (rq and the core use it as one) whose failures of
the server itself come out as `RedisUnavailable`, from any command or pipeline.
"""

import pymysql
import redis
from redis.client import Pipeline

from perf_engine.core.config import ConnectionSettings
from perf_engine.core.errors import InvalidInput
from perf_engine.core.redaction import redact
from perf_engine.core.service_errors import (
	is_service_failure,
	mariadb_location,
	mariadb_unavailable,
	redis_location,
	redis_unavailable,
	select_database,
)

CONNECT_TIMEOUT_S = 5
CACHE_REDIS = "cache Redis"
QUEUE_REDIS = "queue Redis"
# Where the CLI takes each URL from, for the "check ..." part of its errors.
CLI_SETTINGS = {
	CACHE_REDIS: "the cache Redis URL (--redis-cache-url, PERF_ENGINE_REDIS_CACHE_URL or the bench's redis_cache)",
	QUEUE_REDIS: "the queue Redis URL (--redis-queue-url, PERF_ENGINE_REDIS_QUEUE_URL or the bench's redis_queue)",
}


class ServiceErrors:
	"""Turns a failure of the server into RedisUnavailable naming the service; other errors pass."""

	service: str
	setting: str

	def unavailable(self, exc: redis.exceptions.RedisError) -> Exception:
		if not is_service_failure(exc):
			return exc
		location = redis_location(self.connection_pool.connection_kwargs)
		return redis_unavailable(self.service, self.setting, location, exc)

	def execute_command(self, *args, **options):
		try:
			return super().execute_command(*args, **options)
		except redis.exceptions.RedisError as exc:
			raise self.unavailable(exc) from exc


class ServicePipeline(ServiceErrors, Pipeline):
	"""A pipeline of a ServiceRedis: the round trip fails the same way a single command does."""

	def execute(self, raise_on_error: bool = True):
		try:
			return super().execute(raise_on_error)
		except redis.exceptions.RedisError as exc:
			raise self.unavailable(exc) from exc


class ServiceRedis(ServiceErrors, redis.Redis):
	"""A Redis client that knows which service it talks to and where that is configured."""

	def __init__(self, *args, service: str = "Redis", setting: str = "its URL", **kwargs):
		super().__init__(*args, **kwargs)
		self.service = service
		self.setting = setting

	def pipeline(self, transaction: bool = True, shard_hint=None) -> ServicePipeline:
		pipe = ServicePipeline(self.connection_pool, self.response_callbacks, transaction, shard_hint)
		pipe.service, pipe.setting = self.service, self.setting
		return pipe


def service_redis(pool: redis.ConnectionPool, service: str, setting: str) -> ServiceRedis:
	"""A ServiceRedis on an existing pool (Frappe's own, in a bench)."""
	return ServiceRedis(connection_pool=pool, service=service, setting=setting)


def connect_redis(url: str, service: str = "Redis", setting: str = "its URL") -> ServiceRedis:
	"""A client that fails fast instead of hanging, and says why; a malformed URL is bad input."""
	try:
		pool = redis.ConnectionPool.from_url(
			url,
			socket_connect_timeout=CONNECT_TIMEOUT_S,
			socket_timeout=CONNECT_TIMEOUT_S,
			redis_connect_func=select_database,
		)
	except ValueError as exc:
		raise InvalidInput(
			f"{service} URL {redact(url)} is not a Redis URL ({exc}); check {setting}"
		) from exc
	return service_redis(pool, service, setting)


def cache_redis(settings: ConnectionSettings) -> ServiceRedis:
	"""The Redis that holds the site's cache keys."""
	return connect_redis(settings.redis_cache_url, CACHE_REDIS, CLI_SETTINGS[CACHE_REDIS])


def queue_redis(settings: ConnectionSettings) -> ServiceRedis:
	"""The Redis that RQ keeps its queues, registries and workers in."""
	return connect_redis(settings.redis_queue_url, QUEUE_REDIS, CLI_SETTINGS[QUEUE_REDIS])


def connect_mariadb(settings: ConnectionSettings, database: str | None = None) -> pymysql.Connection:
	"""A DB-API connection in autocommit mode, so read-only probes never hold a snapshot."""
	database = settings.db_name if database is None else database
	try:
		return pymysql.connect(
			host=settings.db_host,
			port=settings.db_port,
			user=settings.db_user,
			password=settings.db_password,
			database=database or None,
			unix_socket=settings.db_socket,
			connect_timeout=CONNECT_TIMEOUT_S,
			autocommit=True,
			charset="utf8mb4",
		)
	except pymysql.MySQLError as exc:
		where = mariadb_location(settings.db_host, settings.db_port, settings.db_socket, database)
		raise mariadb_unavailable(where, settings.db_user, exc) from exc
