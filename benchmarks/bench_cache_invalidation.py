"""Invalidation cost per document save as the cache grows, against KEYS-pattern deletion.

Ours is one command (a script dropping the document and bumping three generations).

Goal (issue 6): flat from 1k to 1M keys and under 1 ms median, compared in the same run
with what frappe.cache.delete_keys does (KEYS <pattern>, then DEL).
"""

import statistics
import time

from benchmarks.redis_load import load, private_server
from perf_engine.core.cache.store import SiteCache

PREFIX = "_bench|"
OTHER_LISTS = PREFIX + "perf_engine:list:Sales Invoice:0:{0}"
ITEM_LISTS = PREFIX + "perf_engine:list:Item:0:{0}"
SAVES = 300


def median_ms(func, repeat: int) -> float:
	times = []
	for _ in range(repeat):
		started = time.perf_counter()
		func()
		times.append(time.perf_counter() - started)
	return statistics.median(times) * 1000


def run(quick: bool) -> str:
	sizes = (1_000, 10_000) if quick else (1_000, 10_000, 100_000, 1_000_000)
	rows = []
	with private_server() as client:
		cache = SiteCache(client, PREFIX)
		loaded = 0
		for size in sizes:
			load(client, OTHER_LISTS, loaded, size)
			loaded = size

			def keys_delete():
				load(client, ITEM_LISTS, 0, 10)
				client.delete(*client.keys(ITEM_LISTS.format("*")))

			ours = median_ms(
				lambda: cache.invalidate(docs=[("Item", "ITEM-1")], doctypes=["Item", "Bin", "Sales Order"]),
				SAVES,
			)
			baseline = median_ms(keys_delete, 5 if size >= 1_000_000 else 20)
			rows.append((size, ours, baseline))
	lines = [
		f"| {size:,} | {ours:.3f} ms | {baseline:.2f} ms | {baseline / ours:,.0f}x |"
		for size, ours, baseline in rows
	]
	flat = rows[-1][1] / rows[0][1]
	return (
		"## Cache invalidation per save (issue 6)\n\n"
		"| keys in Redis | generation bump (median) | KEYS + DEL like frappe.cache.delete_keys (median) | ratio |\n"
		"|---|---|---|---|\n" + "\n".join(lines) + "\n\n"
		f"Our cost at {rows[-1][0]:,} keys is {flat:.2f}x its cost at {rows[0][0]:,} keys (flat means ~1x); "
		f"goal: under 1 ms median, flat.\n"
	)
