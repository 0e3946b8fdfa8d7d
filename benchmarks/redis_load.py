"""Helpers shared by the Redis benchmarks: a private server, bulk key loading, a pinging client,
and Redis's own record of its slowest command."""

import multiprocessing
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import redis

from tests.services import RedisServer

LOAD_BATCH = 20_000
PING_PAUSE_S = 0.0005
# Enough to keep every command of a run, pings included.
SLOWLOG_ENTRIES = 1_000_000


@contextmanager
def private_server():
	"""A redis-server of the benchmark's own, so KEYS baselines block nobody else."""
	with tempfile.TemporaryDirectory() as directory:
		server = RedisServer(Path(directory))
		try:
			yield server.start()
		finally:
			server.stop()


def load(client: redis.Redis, template: str, start: int, stop: int, value: bytes = b"x" * 64) -> None:
	"""SET template.format(i) for i in [start, stop) in pipelined batches."""
	for first in range(start, stop, LOAD_BATCH):
		with client.pipeline(transaction=False) as pipe:
			for i in range(first, min(first + LOAD_BATCH, stop)):
				pipe.set(template.format(i), value)
			pipe.execute()


def pinger(port: int, stop, longest) -> None:
	"""Ping in a loop from another process and keep the longest round trip seen."""
	client = redis.Redis(port=port)
	while not stop.is_set():
		started = time.perf_counter()
		client.ping()
		longest.value = max(longest.value, time.perf_counter() - started)
		time.sleep(PING_PAUSE_S)


@contextmanager
def watched(port: int):
	"""Yield a callable returning the longest PING stall seen by a concurrent client so far."""
	stop, longest = multiprocessing.Event(), multiprocessing.Value("d", 0.0)
	process = multiprocessing.Process(target=pinger, args=(port, stop, longest))
	process.start()
	time.sleep(0.2)
	try:
		yield lambda: longest.value
	finally:
		stop.set()
		process.join()


@contextmanager
def slowest_command(client: redis.Redis):
	"""Yield a callable returning the longest command Redis itself ran so far, in seconds (SLOWLOG)."""
	client.config_set("slowlog-max-len", SLOWLOG_ENTRIES)
	client.config_set("slowlog-log-slower-than", 0)
	client.slowlog_reset()
	try:
		yield lambda: max((e["duration"] for e in client.slowlog_get(SLOWLOG_ENTRIES)), default=0) / 1e6
	finally:
		client.config_set("slowlog-log-slower-than", -1)
		client.slowlog_reset()
