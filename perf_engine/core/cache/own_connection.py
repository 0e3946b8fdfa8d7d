"""One Redis connection a process keeps for its after-commit invalidation script.

Through a client, every command borrows a pool connection (a lock, a readiness check of a
few system calls, the release) and passes redis-py's retry, script and reply-callback
layers: on a warm local Redis about 35 us of the 90 us an invalidation took, and more inside
a bench, where each commit finds the process cold. This connection has the client pool's
settings (address, database, password, parser) and the name `perf_engine`, but is its own: made on first use, again
after a fork (a child never writes to its parent's socket), and used under a lock. A
connection the server dropped is made again and the script sent once more (it only drops
keys and bumps counters, so running it twice is harmless); a script the server no longer
holds is loaded again; a failure of the server comes out as the client's typed error (a
ServiceRedis's RedisUnavailable).
"""

import os
import threading
from collections.abc import Sequence
from typing import Any

import redis
from redis.commands.core import Script
from redis.connection import AbstractConnection

from perf_engine.core.connections import ServiceErrors

RECONNECTABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
# The name the connection gives itself (CLIENT SETNAME), so perf_engine's own cost counts it in CLIENT LIST.
NAME = "perf_engine"


class OwnConnection:
	"""A connection of this process's own to the server `client` talks to."""

	def __init__(self, client: redis.Redis):
		self.client = client
		self.lock = threading.Lock()
		self.connection: AbstractConnection | None = None
		self.pid: int | None = None

	def run_script(self, script: Script, keys: Sequence[str], args: Sequence[Any]) -> Any:
		"""EVALSHA `script` here, as `script(keys, args, client)` would through the client."""
		with self.lock:
			try:
				try:
					return self.evalsha(script, keys, args)
				except RECONNECTABLE:
					return self.evalsha(script, keys, args)
			except redis.exceptions.RedisError as exc:
				error = self.client.unavailable(exc) if isinstance(self.client, ServiceErrors) else exc
				if error is exc:
					raise
				raise error from exc

	def evalsha(self, script: Script, keys: Sequence[str], args: Sequence[Any]) -> Any:
		try:
			return self.command("EVALSHA", script.sha, len(keys), *keys, *args)
		except redis.exceptions.NoScriptError:
			self.command("SCRIPT", "LOAD", script.script)
			return self.command("EVALSHA", script.sha, len(keys), *keys, *args)

	def command(self, *args: Any) -> Any:
		"""One command and its reply; anything but a reply the server gave leaves no connection behind,
		so a reply never read can never be taken for the next command's."""
		connection = self.current()
		try:
			connection.send_packed_command(connection.pack_command(*args))
			return connection.read_response()
		except redis.exceptions.ResponseError:
			raise
		except BaseException:
			self.drop()
			raise

	def current(self) -> AbstractConnection:
		"""This process's connection, made with the pool's settings on first use and after a fork."""
		if self.connection is not None and self.pid != os.getpid():
			self.drop()
		if self.connection is None:
			pool = self.client.connection_pool
			self.connection = pool.connection_class(**{**pool.connection_kwargs, "client_name": NAME})
			self.pid = os.getpid()
		return self.connection

	def drop(self) -> None:
		"""Close the connection; in a forked child only its copy of the socket (redis-py never shuts
		down a parent's)."""
		if self.connection is not None:
			self.connection.disconnect()
		self.connection = None
