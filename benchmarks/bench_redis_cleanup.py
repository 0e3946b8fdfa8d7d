"""Cleanup of 1M matching keys: the longest stall a concurrent client sees, and throughput.

Goal (issue 6): longest PING stall under 10 ms during our cleanup (KEYS-based deletion:
hundreds of ms), at >= 80 % of the throughput of a plain SCAN + UNLINK loop, same run.
"""

import time

from benchmarks.redis_load import load, private_server, watched
from perf_engine.core.redis_cleanup import cleanup

PREFIX = "_bench|"
KEYS = PREFIX + "perf_engine:list:Item:0:{0}"
PATTERN = "perf_engine:list:*"


def plain_scan_unlink(client) -> None:
	cursor = 0
	while True:
		cursor, keys = client.scan(cursor, match=PREFIX + PATTERN, count=5000)
		if keys:
			client.unlink(*keys)
		if cursor == 0:
			return


def keys_delete(client) -> None:
	keys = client.keys(PREFIX + PATTERN)
	for start in range(0, len(keys), 10_000):
		client.unlink(*keys[start : start + 10_000])


def measure(client, port: int, total: int, delete) -> tuple[float, float]:
	"""(seconds taken, longest stall seen by a pinging client) for deleting `total` keys."""
	load(client, KEYS, 0, total)
	with watched(port) as longest:
		started = time.perf_counter()
		delete(client)
		elapsed = time.perf_counter() - started
		stall = longest()
	assert client.dbsize() == 0, "every key must be gone"
	return elapsed, stall


def run(quick: bool) -> str:
	total = 50_000 if quick else 1_000_000
	with private_server() as client:
		port = client.connection_pool.connection_kwargs["port"]
		ours = measure(
			client, port, total, lambda c: cleanup(c, PREFIX, [PATTERN], dry_run=False, force=True)
		)
		plain = measure(client, port, total, plain_scan_unlink)
		keys = measure(client, port, total, keys_delete)
	rows = [
		("perf_engine cleanup (SCAN, UNLINK in batches of 1000)", ours),
		("plain SCAN + UNLINK loop", plain),
		("KEYS + UNLINK", keys),
	]
	lines = [
		f"| {name} | {total / elapsed:,.0f} keys/s | {stall * 1000:.1f} ms |"
		for name, (elapsed, stall) in rows
	]
	return (
		f"## Redis cleanup of {total:,} matching keys (issue 6)\n\n"
		"| method | throughput | longest PING stall seen by another client |\n|---|---|---|\n"
		+ "\n".join(lines)
		+ "\n\n"
		f"Throughput ratio ours / plain SCAN+UNLINK: **{plain[0] / ours[0] * 100:.0f} %** (goal >= 80 %); "
		f"longest stall {ours[1] * 1000:.1f} ms (goal < 10 ms) vs KEYS {keys[1] * 1000:.0f} ms.\n"
	)
