"""A redis-server of a test's own, for bench tests that change server settings (maxmemory-policy)
the bench's shared Redis must keep."""

import contextlib
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import redis

START_TIMEOUT_S = 10


def free_port() -> int:
	with socket.socket() as probe:
		probe.bind(("127.0.0.1", 0))
		return probe.getsockname()[1]


@contextlib.contextmanager
def private_redis() -> Iterator[redis.Redis]:
	"""Start redis-server on a free loopback port with no persistence; stop it afterwards."""
	port = free_port()
	with tempfile.TemporaryDirectory() as directory:
		command = [
			"redis-server",
			"--port",
			str(port),
			"--bind",
			"127.0.0.1",
			"--save",
			"",
			"--dir",
			directory,
		]
		process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
		try:
			client = redis.Redis(port=port)
			deadline = time.monotonic() + START_TIMEOUT_S
			while True:
				try:
					client.ping()
					break
				except redis.ConnectionError:
					if time.monotonic() > deadline:
						raise
					time.sleep(0.05)
			yield client
		finally:
			process.terminate()
			process.wait(timeout=10)
