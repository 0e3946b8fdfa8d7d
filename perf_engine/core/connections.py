"""Open MariaDB, Redis and RQ connections from ConnectionSettings, with clear failures."""

import pymysql
import redis

from perf_engine.core.config import ConnectionSettings
from perf_engine.core.errors import ServiceUnavailable

CONNECT_TIMEOUT_S = 5


def connect_mariadb(settings: ConnectionSettings, database: str | None = None) -> pymysql.Connection:
	"""A DB-API connection in autocommit mode, so read-only probes never hold a snapshot."""
	try:
		return pymysql.connect(
			host=settings.db_host,
			port=settings.db_port,
			user=settings.db_user,
			password=settings.db_password,
			database=database or settings.db_name,
			unix_socket=settings.db_socket,
			connect_timeout=CONNECT_TIMEOUT_S,
			autocommit=True,
			charset="utf8mb4",
		)
	except pymysql.MySQLError as exc:
		raise ServiceUnavailable(
			f"Cannot connect to MariaDB at {settings.db_host}:{settings.db_port} as {settings.db_user}: {exc}"
		) from exc


def connect_redis(url: str) -> redis.Redis:
	"""A Redis client that fails fast instead of hanging when Redis is down."""
	return redis.Redis.from_url(
		url, socket_connect_timeout=CONNECT_TIMEOUT_S, socket_timeout=CONNECT_TIMEOUT_S
	)


def cache_redis(settings: ConnectionSettings) -> redis.Redis:
	"""The Redis that holds the site's cache keys."""
	return connect_redis(settings.redis_cache_url)


def queue_redis(settings: ConnectionSettings) -> redis.Redis:
	"""The Redis that RQ keeps its queues, registries and workers in."""
	return connect_redis(settings.redis_queue_url)
