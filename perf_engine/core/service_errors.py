"""Driver errors from Redis and MariaDB turned into one ServiceUnavailable each: which service,
where (host:port/db, never a password), what failed and what to check.

Only failures of the service itself are turned: refused or lost connections, timeouts,
authentication, a database (index) that does not exist, missing permissions. A command's
own error (a wrong key type, a lock wait) stays what the driver raised.
"""

import pymysql
import redis

from perf_engine.core.errors import RedisUnavailable, ServiceUnavailable

MARIADB = "MariaDB"
# pymysql / MariaDB error numbers for the failures that are about the server, not the query.
ACCESS_DENIED = (1044, 1045, 1698)
UNKNOWN_DATABASE = 1049
CANNOT_CONNECT = (2002, 2003, 2005, 2006, 2013)


class DatabaseIndexRefused(redis.exceptions.ConnectionError):
	"""SELECT of the URL's database number failed while connecting (e.g. /99 on a 16-db server)."""


def select_database(connection: redis.connection.AbstractConnection) -> None:
	"""redis-py's own handshake, where a refused SELECT becomes a connection failure, not a reply error."""
	try:
		connection.on_connect()
	except redis.exceptions.ResponseError as exc:
		raise DatabaseIndexRefused(str(exc)) from exc


def redis_location(connection_kwargs: dict) -> str:
	"""host:port/db, or the socket path, of a Redis connection pool."""
	if connection_kwargs.get("path"):
		return f"{connection_kwargs['path']}/{connection_kwargs.get('db', 0)}"
	host = connection_kwargs.get("host", "localhost")
	return f"{host}:{connection_kwargs.get('port', 6379)}/{connection_kwargs.get('db', 0)}"


def is_service_failure(exc: redis.exceptions.RedisError) -> bool:
	"""Whether a Redis error says the server cannot serve us, rather than that one command was wrong."""
	return isinstance(
		exc,
		redis.exceptions.ConnectionError | redis.exceptions.TimeoutError | redis.exceptions.NoPermissionError,
	)


def reason(exc: object) -> str:
	"""The driver's own words, without the full stop that would end our sentence early."""
	return str(exc).strip().rstrip(".")


def redis_unavailable(service: str, setting: str, location: str, exc: Exception) -> RedisUnavailable:
	"""The one-line error for a Redis that cannot serve us; `setting` names where its URL is configured."""
	if isinstance(exc, redis.exceptions.AuthenticationError):
		failure, check = f"authentication failed ({reason(exc)})", f"the user and password in {setting}"
	elif isinstance(exc, DatabaseIndexRefused):
		failure = f"the database number is refused ({reason(exc)})"
		check = f"the database number at the end of {setting} (Redis has 16 unless configured otherwise)"
	elif isinstance(exc, redis.exceptions.NoPermissionError):
		failure, check = f"permission denied ({reason(exc)})", f"the ACL of the user in {setting}"
	elif isinstance(exc, redis.exceptions.BusyLoadingError):
		failure, check = "it is still loading its data from disk", "again in a moment"
	elif isinstance(exc, redis.exceptions.TimeoutError):
		failure = f"no answer in time ({reason(exc)})"
		check = "that Redis is not blocked or overloaded, and the network path to it"
	else:
		failure = f"cannot connect ({reason(exc)})"
		check = f"that Redis is running there and that {setting} points at it"
	return RedisUnavailable(service, location, failure, check)


def mariadb_location(host: str, port: int, socket: str | None, database: str | None) -> str:
	"""host:port/db, or socket/db, of a MariaDB connection."""
	where = socket or f"{host}:{port}"
	return f"{where}/{database}" if database else where


def mariadb_unavailable(location: str, user: str, exc: pymysql.MySQLError) -> ServiceUnavailable:
	"""The one-line error for a MariaDB that refused or could not be reached."""
	code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
	said = reason(exc.args[1] if len(exc.args) > 1 else exc)
	if code in ACCESS_DENIED:
		failure = f"access denied for {user} ({said})"
		check = "db_user and db_password (site_config.json, --db-user/--db-password) and that user's grants"
	elif code == UNKNOWN_DATABASE:
		failure, check = f"no such database ({said})", "db_name in site_config.json, or --database"
	else:
		failure = f"cannot connect ({said})"
		check = "that MariaDB is running there and db_host/db_port (--db-host/--db-port) point at it"
	return ServiceUnavailable(MARIADB, location, failure, check)


def is_lost_connection(exc: pymysql.MySQLError) -> bool:
	"""A query that failed because the server went away, not because of the query."""
	return isinstance(exc, pymysql.err.InterfaceError) or (
		isinstance(exc, pymysql.err.OperationalError) and bool(exc.args) and exc.args[0] in CANNOT_CONNECT
	)
