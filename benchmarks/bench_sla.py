"""What the SLA view's day and week figures cost: a week of stored snapshot histograms merged, against
only reading the same rows, and the size one snapshot adds.

Goal (issue 15): day and week percentiles from stored histograms, never from a week of raw
entries, read in pages with memory bounded by what is shown. Merging is CPU work in Python
(about 0.5 ms per snapshot), so the site service keeps the merged figures until the next
snapshot: a metrics scrape pays it once per snapshot interval, not per scrape.
"""

import json
import random
import statistics
import time
from datetime import datetime, timedelta, timezone

from perf_engine.core.latency import sla
from perf_engine.core.latency.monitor import MonitorWindow, Transaction
from tests.services import connect_database, temporary_database

SNAPSHOT_MINUTES = 5
ENTRIES_PER_SNAPSHOT = 2_000
ROUNDS = 5
PATHS = [f"/api/method/app.endpoint_{n}" for n in range(60)] + [
	"/api/method/frappe.desk.reportview.get",
	"/api/method/frappe.desk.form.load.getdoc",
	"/api/method/frappe.desk.query_report.run",
]


def stored_histograms(rng: random.Random, at: datetime) -> str:
	"""One snapshot's histograms for a busy interval: many endpoints, lognormal durations."""
	entries = [
		Transaction("request", rng.choice(PATHS), at, rng.lognormvariate(-2.5, 1.3))
		for _ in range(ENTRIES_PER_SNAPSHOT)
	]
	return json.dumps(sla.window_histograms(MonitorWindow.of(entries, since=at)), separators=(",", ":"))


def timed(func) -> float:
	times = []
	for _ in range(ROUNDS):
		started = time.perf_counter()
		func()
		times.append(time.perf_counter() - started)
	return statistics.median(times)


def run(quick: bool) -> str:
	days = 1 if quick else 7
	rows = days * 24 * 60 // SNAPSHOT_MINUTES
	rng = random.Random(15)
	now = datetime(2026, 11, 23, 12, 0)
	at = datetime.now(timezone.utc)
	template = [stored_histograms(rng, at) for _ in range(20)]
	with temporary_database("perf_engine_bench_sla") as name:
		conn = connect_database(name)
		with conn.cursor() as cur:
			cur.execute(
				"CREATE TABLE `tabPerf Snapshot` (name VARCHAR(140) PRIMARY KEY, taken_at DATETIME(6), "
				"sla_histograms LONGTEXT, KEY (taken_at))"
			)
			cur.executemany(
				"INSERT INTO `tabPerf Snapshot` VALUES (%s, %s, %s)",
				[
					(f"s{i}", now - timedelta(minutes=SNAPSHOT_MINUTES * i), template[i % 20])
					for i in range(rows)
				],
			)

		def read_only() -> None:
			with conn.cursor() as cur:
				for offset in range(0, rows + sla.SNAPSHOT_PAGE, sla.SNAPSHOT_PAGE):
					cur.execute(sla.STORED_SQL, (now - timedelta(days=7), sla.SNAPSHOT_PAGE, offset))
					cur.fetchall()

		read_s = timed(read_only)
		merged_s = timed(lambda: sla.stored_periods(conn, now))
		conn.close()
	size = statistics.mean(len(t) for t in template)
	return (
		f"## SLA day and week figures from stored histograms (issue 15)\n\n"
		f"{rows:,} snapshots ({days} day(s) of {SNAPSHOT_MINUTES}-minute snapshots), each of "
		f"{ENTRIES_PER_SNAPSHOT:,} requests over {len(PATHS)} endpoints.\n\n"
		"| what | time |\n|---|---|\n"
		f"| reading the rows only (baseline) | {read_s * 1000:.0f} ms |\n"
		f"| reading and merging them into day and week percentiles | {merged_s * 1000:.0f} ms |\n\n"
		f"Merging costs **{merged_s / read_s:.1f}x** the read alone; one snapshot stores "
		f"**{size / 1024:.1f} KB** of histograms.\n"
	)
