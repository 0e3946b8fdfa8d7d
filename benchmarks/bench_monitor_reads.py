"""The threshold check's read of 1M monitor entries: stall of another Redis client and peak memory.

Goal (issue 16): the longest PING stall another client sees under 10 ms and the reader's
peak memory under 100 MB, beside what `LRANGE 0 -1` of the whole list (the former read)
does in the same run. Each reader runs in a fresh process, so its peak resident memory is
its own; the list holds entries shaped as frappe.monitor writes them. Two cases: every
entry inside the 15-minute window (all must be read), and only the newest 1 % inside it.
"""

import multiprocessing
import resource
import threading
import time
from datetime import datetime, timedelta, timezone

import psutil
import redis

from benchmarks.redis_load import private_server, slowest_command, watched
from perf_engine.core.latency import monitor, thresholds
from tests.monitor_entries import monitor_entry

PREFIX = "_bench|"
SITE = "bench.localhost"
WINDOW = timedelta(minutes=15)
LOAD_BATCH = 10_000
KIB = 1024
SAMPLE_S = 0.001
MIB = 1024 * 1024


def fill(client: redis.Redis, total: int, inside: int) -> None:
	"""`total` entries, the newest `inside` of them within the window, the rest two hours old."""
	key = PREFIX + monitor.MONITOR_KEY
	now = datetime.now(timezone.utc)
	client.delete(key)
	for start in range(0, total, LOAD_BATCH):
		count = min(LOAD_BATCH, total - start)
		entries = [
			monitor_entry(
				"request",
				now if start + i >= total - inside else now - timedelta(hours=2),
				0.05 + i % 100 / 100,
			)
			for i in range(count)
		]
		client.rpush(key, *entries)


def ours(client: redis.Redis) -> int:
	"""What check_thresholds reads now: the window, in pages from the newest end."""
	window = monitor.read_window(client, PREFIX, None, SITE, WINDOW)
	thresholds.measurements(window, {})
	return len(window)


def whole_list(client: redis.Redis) -> int:
	"""The former read: the whole list in one LRANGE 0 -1, every entry parsed, then the window kept."""
	since = datetime.now(timezone.utc) - WINDOW
	transactions = [
		t for t in map(monitor.parse_entry, client.lrange(PREFIX + monitor.MONITOR_KEY, 0, -1)) if t
	]
	recent = [t.duration_s for t in transactions if t.at >= since]
	if recent:
		thresholds.percentile(recent, 95)
	return len(recent)


READERS = {
	"perf_engine (pages of 1,000 back to the window's start)": ours,
	"LRANGE 0 -1 (the former read)": whole_list,
}


def read_in_fresh_process(port: int, reader: str, results) -> None:
	"""Run one reader and report entries kept, seconds, and its peak resident memory above what the
	process held before it (sampled every millisecond, and the kernel's own peak when that grew)."""
	client = redis.Redis(port=port)
	client.ping()
	process, done = psutil.Process(), threading.Event()
	before, peak = process.memory_info().rss, [0]
	peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * KIB

	def sample() -> None:
		while not done.is_set():
			peak[0] = max(peak[0], process.memory_info().rss)
			time.sleep(SAMPLE_S)

	sampler = threading.Thread(target=sample)
	sampler.start()
	started = time.perf_counter()
	kept = READERS[reader](client)
	seconds = time.perf_counter() - started
	done.set()
	sampler.join()
	peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * KIB
	if peak_after > peak_before:
		peak[0] = max(peak[0], peak_after)
	results.put((kept, seconds, max(0, peak[0] - before)))


def measure(client: redis.Redis, port: int, reader: str) -> dict:
	context = multiprocessing.get_context("spawn")
	results = context.Queue()
	with slowest_command(client) as slowest, watched(port) as longest:
		process = context.Process(target=read_in_fresh_process, args=(port, reader, results))
		process.start()
		kept, seconds, memory = results.get()
		process.join()
		return {"kept": kept, "seconds": seconds, "memory": memory, "stall": longest(), "command": slowest()}


def run(quick: bool) -> str:
	total = 100_000 if quick else 1_000_000
	rows = []
	with private_server() as client:
		port = client.connection_pool.connection_kwargs["port"]
		for label, inside in (("all inside the window", total), ("newest 1 % inside", total // 100)):
			fill(client, total, inside)
			for reader in READERS:
				result = measure(client, port, reader)
				assert result["kept"] == inside, (reader, result["kept"], inside)
				rows.append((label, reader, result))
	lines = [
		f"| {label} | {reader} | {r['seconds']:.2f} s | {r['stall'] * 1000:.1f} ms | {r['command'] * 1000:.1f} ms | "
		f"{r['memory'] / MIB:,.0f} MB |"
		for label, reader, r in rows
	]
	ours_worst = max(
		(r for _, reader, r in rows if reader.startswith("perf_engine")), key=lambda r: r["stall"]
	)
	ours_memory = max(r["memory"] for _, reader, r in rows if reader.startswith("perf_engine"))
	baseline = next(r for _, reader, r in rows if reader.startswith("LRANGE"))
	return (
		f"## Threshold check's monitor read, {total:,} entries in Redis (issue 16)\n\n"
		"Each reader runs in a fresh process against a private redis-server while another process pings it.\n\n"
		"| entries | reader | time | longest PING stall seen by another client | longest command Redis ran | "
		"reader's peak memory |\n|---|---|---|---|---|---|\n" + "\n".join(lines) + "\n\n"
		f"Longest stall with perf_engine's read: **{ours_worst['stall'] * 1000:.1f} ms** (goal < 10 ms; "
		f"LRANGE 0 -1: {baseline['stall'] * 1000:.1f} ms); peak memory **{ours_memory / MIB:,.0f} MB** "
		f"(goal < 100 MB; LRANGE 0 -1: {baseline['memory'] / MIB:,.0f} MB).\n"
	)
