"""What typed service errors cost on the happy path: the core's ServiceRedis against a plain redis
client on the same database, and the work-horse search against the stall check it is part of.

Goal (issue 11): errors that name the service cost nothing a person notices: within 10 % of
the same client without them, per command and per pipelined queue status. The horse search
runs only for a job whose worker went silent; its cost is shown against one queue status.
"""

import statistics
import time
from datetime import datetime, timezone

import redis
from rq import Queue

from perf_engine.core.connections import CONNECT_TIMEOUT_S, QUEUE_REDIS, connect_redis
from perf_engine.core.jobs.horses import find_horse
from perf_engine.core.jobs.queue_status import queue_status
from tests.services import claimed_redis_db

QUEUES = {"default": "bench:default", "short": "bench:short", "long": "bench:long"}
ROUNDS = 7


def per_call(funcs: dict, calls: int) -> dict[str, float]:
	"""Median seconds per call of each function, rounds interleaved so drift hits all alike."""
	for func in funcs.values():
		func()  # connect and warm up outside the timing
	rounds = {name: [] for name in funcs}
	for _ in range(ROUNDS):
		for name, func in funcs.items():
			started = time.perf_counter()
			for _ in range(calls):
				func()
			rounds[name].append((time.perf_counter() - started) / calls)
	return {name: statistics.median(times) for name, times in rounds.items()}


def run(quick: bool) -> str:
	calls = 500 if quick else 5_000
	with claimed_redis_db() as claimed:
		# The baseline is what connect_redis returned before: a plain client with the same timeouts.
		plain = redis.Redis.from_url(
			claimed.url, socket_connect_timeout=CONNECT_TIMEOUT_S, socket_timeout=CONNECT_TIMEOUT_S
		)
		typed = connect_redis(claimed.url, QUEUE_REDIS)
		for name in QUEUES.values():
			Queue(name, connection=plain).enqueue("tests.jobfuncs.add", 1, 2)
		plain.set("bench:key", "x")
		gets = per_call(
			{"plain": lambda: plain.get("bench:key"), "typed": lambda: typed.get("bench:key")}, calls
		)
		status = per_call(
			{"plain": lambda: queue_status(plain, QUEUES), "typed": lambda: queue_status(typed, QUEUES)},
			calls // 10,
		)
	horse = per_call({"search": lambda: find_horse("no-such-worker", datetime.now(timezone.utc))}, 5)
	get_plain, get_typed, status_plain, status_typed = (
		gets["plain"],
		gets["typed"],
		status["plain"],
		status["typed"],
	)
	horse_search = horse["search"]
	return (
		"## Typed service errors on the happy path (issue 11)\n\n"
		"| measure | plain redis client | ServiceRedis | ratio |\n|---|---|---|---|\n"
		f"| GET | {get_plain * 1e6:.0f} µs | {get_typed * 1e6:.0f} µs | {get_typed / get_plain:.3f}x |\n"
		f"| queue_status (one pipeline) | {status_plain * 1000:.2f} ms | {status_typed * 1000:.2f} ms "
		f"| {status_typed / status_plain:.3f}x |\n\n"
		f"Goal: each ratio under 1.10x. The work-horse search (one pass over this host's processes, "
		f"only for a job whose worker went silent) took {horse_search * 1000:.1f} ms, "
		f"{horse_search / status_plain:.1f}x one queue status.\n"
	)
