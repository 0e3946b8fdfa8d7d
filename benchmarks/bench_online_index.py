"""Concurrent inserts and reads while an index is built online on a 1M-row table.

Goal (issue 4): the site keeps working during the build; reported as throughput during
the build relative to the same load just before it, in the same run.
"""

import threading
import time
import uuid

from perf_engine.core.indexes import apply
from tests.services import connect_database, temporary_database

BASELINE_S = 5


def load(name: str, stop: threading.Event, counts: dict) -> None:
	"""A client inserting one row and reading one by key, in a loop."""
	conn = connect_database(name)
	client_id, i = uuid.uuid4().hex[:8], 0
	with conn.cursor() as cur:
		while not stop.is_set():
			i += 1
			cur.execute(
				"INSERT INTO `tabToDo` (name, description, status) VALUES (%s, 'load', 'Open')",
				(f"L-{client_id}-{i}",),
			)
			cur.execute("SELECT description FROM `tabToDo` WHERE name = %s", (f"T-{i % 1000 + 1}",))
			cur.fetchall()
			counts["ops"] += 2
	conn.close()


def measure(name: str, during) -> float:
	"""Operations per second of two load clients while `during()` runs."""
	stop, counts = threading.Event(), {"ops": 0}
	clients = [threading.Thread(target=load, args=(name, stop, counts)) for _ in range(2)]
	for client in clients:
		client.start()
	started = time.perf_counter()
	during()
	elapsed = time.perf_counter() - started
	stop.set()
	for client in clients:
		client.join()
	return counts["ops"] / elapsed


def run(quick: bool) -> str:
	rows = 100_000 if quick else 1_000_000
	with temporary_database("perf_engine_bench") as name:
		conn = connect_database(name)
		with conn.cursor() as cur:
			cur.execute(
				"CREATE TABLE `tabToDo` (name VARCHAR(140) PRIMARY KEY, description TEXT, status VARCHAR(30), allocated_to VARCHAR(140))"
			)
			cur.execute(
				f"INSERT INTO `tabToDo` SELECT CONCAT('T-', seq), REPEAT('x', 200), 'Open', CONCAT('u', seq % 997) FROM seq_1_to_{rows}"
			)
		before = measure(name, lambda: time.sleep(BASELINE_S))
		outcome = {}
		during = measure(
			name,
			lambda: outcome.update(
				result=apply.apply(conn, name, "tabToDo", ("allocated_to",), "allocated_to_index")
			),
		)
		conn.close()
	result = outcome["result"]
	return (
		f"## Online index build on a {rows:,}-row table under load (issue 4)\n\n"
		f"Build: {result.status} in {result.duration_s:.1f} s with `ALGORITHM=INPLACE, LOCK=NONE`.\n\n"
		"| phase | inserts + reads per second (2 clients) |\n|---|---|\n"
		f"| before the build ({BASELINE_S} s) | {before:,.0f} |\n| during the build | {during:,.0f} |\n\n"
		f"Throughput during the build: **{during / before * 100:.0f} %** of before (no operation waited for the build to finish).\n"
	)
