"""Keyset streaming against OFFSET pagination over 2M rows: first and deepest page, peak memory.

Goal (issue 13): the deepest keyset page within 2x of the first, and at least 100x faster than
OFFSET at that depth, measured in the same run on the same table. Pages are ordered by a
nullable indexed date with ties, then `name` (what `perf_engine.query.stream(order_by=...)`
asks for), through the core's `keyset.pages` and its condition. Peak memory (Python
allocations, tracemalloc) of walking every row in batches is set against reading them all at
once, as `frappe.get_all(limit=0)` would.
"""

import statistics
import time
import tracemalloc

import pymysql

from perf_engine.core.query import keyset
from tests.services import connect_database, temporary_database

TABLE = "tabStream Bench"
PAGE = 1000
REPEATS = 5
MIB = 1024 * 1024


def build(conn: pymysql.Connection, rows: int) -> None:
	"""Rows doubled by INSERT ... SELECT from a first 1,000, then topped up to exactly `rows`."""
	with conn.cursor() as cur:
		cur.execute(
			f"""CREATE TABLE `{TABLE}` (name VARCHAR(140) PRIMARY KEY, posted DATE NULL, customer VARCHAR(140),
			title VARCHAR(140), KEY posted (posted))"""
		)
		cur.execute(
			f"""INSERT INTO `{TABLE}` SELECT LPAD(seq, 9, '0'), IF(seq % 11 = 0, NULL, '2020-01-01' + INTERVAL seq % 1500 DAY),
			CONCAT('C-', seq % 5000), CONCAT('row ', seq) FROM seq_1_to_1000"""
		)
		have = 1000
		while have < rows:
			add = min(have, rows - have)
			cur.execute(
				f"""INSERT INTO `{TABLE}` SELECT LPAD(name + {have}, 9, '0'), IF((name + {have}) % 11 = 0, NULL,
				'2020-01-01' + INTERVAL (name + {have}) % 1500 DAY), CONCAT('C-', (name + {have}) % 5000), title
				FROM `{TABLE}` ORDER BY name LIMIT {add}"""
			)
			have += add
		cur.execute(f"ANALYZE TABLE `{TABLE}`")


def timed(run) -> float:
	"""Median seconds of REPEATS runs."""
	times = []
	for _ in range(REPEATS):
		started = time.perf_counter()
		run()
		times.append(time.perf_counter() - started)
	return statistics.median(times)


def keyset_page(conn: pymysql.Connection, order: keyset.Order, after: keyset.Cursor | None) -> list[dict]:
	return next(keyset.pages(conn, TABLE, ["customer", "title"], order, PAGE, after))


def offset_page(conn: pymysql.Connection, order: keyset.Order, offset: int) -> list[tuple]:
	with conn.cursor() as cur:
		cur.execute(
			f"SELECT name, posted, customer, title FROM `{TABLE}` "
			f"ORDER BY {keyset.order_clause(order, keyset.quote_identifier)} LIMIT {PAGE} OFFSET {offset}"
		)
		return cur.fetchall()


def cursor_at(conn: pymysql.Connection, order: keyset.Order, depth: int) -> keyset.Cursor:
	"""The cursor just before row `depth` (setup only, not timed)."""
	with conn.cursor(pymysql.cursors.DictCursor) as cur:
		cur.execute(
			f"SELECT name, posted FROM `{TABLE}` ORDER BY {keyset.order_clause(order, keyset.quote_identifier)} "
			f"LIMIT 1 OFFSET {depth - 1}"
		)
		return keyset.cursor_after(cur.fetchone(), order)


def read_all(conn: pymysql.Connection) -> list[tuple]:
	"""The whole table in one buffered read, as a list query without a limit does."""
	with conn.cursor() as cur:
		cur.execute(f"SELECT name, posted, customer, title FROM `{TABLE}`")
		return cur.fetchall()


def peak_mib(run) -> tuple[float, int]:
	"""Peak traced Python memory of `run` in MiB, and the rows it saw."""
	tracemalloc.start()
	tracemalloc.reset_peak()
	seen = run()
	peak = tracemalloc.get_traced_memory()[1]
	tracemalloc.stop()
	return peak / MIB, seen


def run(quick: bool) -> str:
	rows = 200_000 if quick else 2_000_000
	depth = rows - PAGE
	order = keyset.Order("posted")
	with temporary_database("pe_i13_bench") as name:
		conn = connect_database(name)
		started = time.perf_counter()
		build(conn, rows)
		built_s = time.perf_counter() - started
		deep = cursor_at(conn, order, depth)
		assert keyset_page(conn, order, deep)[0]["name"] == offset_page(conn, order, depth)[0][0]
		first_keyset = timed(lambda: keyset_page(conn, order, None))
		deep_keyset = timed(lambda: keyset_page(conn, order, deep))
		first_offset = timed(lambda: offset_page(conn, order, 0))
		deep_offset = timed(lambda: offset_page(conn, order, depth))
		started = time.perf_counter()
		walk_mib, walked = peak_mib(
			lambda: sum(len(p) for p in keyset.pages(conn, TABLE, ["customer", "title"], order, PAGE))
		)
		walk_s = time.perf_counter() - started
		all_mib, fetched = peak_mib(lambda: len(read_all(conn)))
		conn.close()
	assert walked == fetched == rows
	return (
		f"## Keyset streaming vs OFFSET over {rows:,} rows (issue 13)\n\n"
		f"Pages of {PAGE:,} rows ordered by a nullable indexed date with ties, then name; deepest page at "
		f"row {depth:,}; median of {REPEATS}. Table built in {built_s:.0f} s by INSERT ... SELECT doubling.\n\n"
		"| page | keyset | OFFSET |\n|---|---|---|\n"
		f"| first | {first_keyset * 1000:.1f} ms | {first_offset * 1000:.1f} ms |\n"
		f"| deepest (row {depth:,}) | {deep_keyset * 1000:.1f} ms | {deep_offset * 1000:.1f} ms |\n\n"
		f"Deepest keyset page / first: **{deep_keyset / first_keyset:.2f}x** (goal <= 2x). "
		f"OFFSET / keyset at that depth: **{deep_offset / deep_keyset:,.0f}x** (goal >= 100x).\n\n"
		f"Walking all {walked:,} rows in keyset pages took {walk_s:.1f} s (under tracemalloc) with a peak of {walk_mib:.1f} MiB of "
		f"Python memory; reading them all at once peaked at {all_mib:.1f} MiB "
		f"({all_mib / walk_mib:,.0f}x).\n"
	)
