"""The database observatory's views at size: running queries with 500 threads, top queries over a
slow log of 100,000 entries (issue 27).

Running queries: a private mariadbd (max_connections raised) with 500 connections of one site's
user: 50 running a long SLEEP, 20 idle inside a transaction holding a row, 20 waiting behind those
rows, the rest idle. The view (process list, INNODB_TRX, lock waits, chains) is timed against the
baseline an operator runs at a SQL prompt, `SHOW FULL PROCESSLIST`, each refresh 0.15 s apart
(InnoDB refills its transaction tables only after 0.1 s unread, so each refresh pays for a refill).

Top queries: a MariaDB-format slow log of 100,000 entries (200 statement shapes, values varying)
that fits the 16 MB tail. Timed: the first read in a process (parse and fingerprint everything),
the view a refreshing page gets (1,000 entries appended since the last read), and Percona's
pt-query-digest on the same file as the peer's baseline.
"""

import random
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from perf_engine.core.indexes.slow_log import SLOW_LOG_TAIL_BYTES
from perf_engine.core.observatory import slow_log_digest
from perf_engine.core.observatory.running import running
from perf_engine.core.observatory.site import Site
from perf_engine.core.observatory.top_queries import top_queries
from tests.services import MariaDBServer

GOAL_MS = 100
REFRESH_GAP_S = 0.15
LONG_S = 1  # the running-query threshold in this run: the sleepers have run longer
SITE_DB = "_site_bench"
SHAPES = 200
START = 1_796_600_000


class RoomyMariaDB(MariaDBServer):
	"""The tests' private server with room for 500 client connections."""

	def server_args(self) -> list[str]:
		return [*super().server_args(), "--max-connections=700", "--innodb-lock-wait-timeout=300"]


def median_ms(call, runs: int, gap_s: float = 0.0) -> float:
	times = []
	for _ in range(runs):
		if gap_s:
			time.sleep(gap_s)
		started = time.perf_counter()
		call()
		times.append((time.perf_counter() - started) * 1000)
	return statistics.median(times)


def running_section(threads: int, runs: int) -> str:
	server = RoomyMariaDB().start()
	conns, workers = [], []
	try:
		admin = server.connect()
		with admin.cursor() as cur:
			cur.execute(f"CREATE DATABASE {SITE_DB}")
			admin.select_db(SITE_DB)
			cur.execute("CREATE TABLE items (id INT PRIMARY KEY, qty INT)")
			cur.execute("INSERT INTO items SELECT seq, 0 FROM seq_1_to_100")
			cur.execute("CREATE USER site@'%' IDENTIFIED BY 'site'")
			cur.execute(f"GRANT ALL ON {SITE_DB}.* TO site@'%'")
			cur.execute("GRANT PROCESS ON *.* TO site@'%'")

		def connect(autocommit: bool = True):
			import pymysql

			conn = pymysql.connect(
				host="127.0.0.1",
				port=server.port,
				user="site",
				password="site",
				database=SITE_DB,
				autocommit=autocommit,
			)
			conns.append(conn)
			return conn

		def background(conn, sql: str) -> None:
			def run() -> None:
				try:
					with conn.cursor() as cur:
						cur.execute(sql)
				except Exception:
					pass  # killed at the end

			worker = threading.Thread(target=run, daemon=True)
			worker.start()
			workers.append(worker)

		sleepers, holders = threads // 10, threads // 25
		for _ in range(sleepers):
			background(connect(), "SELECT SLEEP(600)")
		for n in range(holders):
			holder = connect(False)
			with holder.cursor() as cur:
				cur.execute(f"UPDATE items SET qty = 1 WHERE id = {n + 1}")
			background(connect(False), f"UPDATE items SET qty = 2 WHERE id = {n + 1}")
		while len(conns) < threads:
			connect()
		observer = connect()
		site = Site(SITE_DB, "site")
		time.sleep(LONG_S + 0.5)
		found = running(observer, site, LONG_S)
		ours = median_ms(lambda: running(observer, site, LONG_S), runs, REFRESH_GAP_S)

		def processlist() -> None:
			with observer.cursor() as cur:
				cur.execute("SHOW FULL PROCESSLIST")
				cur.fetchall()

		baseline = median_ms(processlist, runs, REFRESH_GAP_S)
	finally:
		for conn in conns:
			try:
				conn.close()
			except Exception:
				pass
		server.stop()
	return (
		f"### Running queries, {threads} threads of the site\n\n"
		f"{sleepers} long statements, {holders} idle transactions holding a row, {holders} threads waiting behind them.\n\n"
		"| view | median |\n|---|---|\n"
		f"| baseline: `SHOW FULL PROCESSLIST` (what an operator runs) | {baseline:.1f} ms |\n"
		f"| perf_engine running queries (threads, transactions, lock waits, chains) | {ours:.1f} ms |\n\n"
		f"Ratio: **{ours / baseline:.1f}x the raw process list**; absolute **{ours:.1f} ms** (goal < {GOAL_MS} ms). "
		f"The view found {len(found['lock_waits'])} lock waits in {len(found['chains'])} chains and "
		f"{len(found['queries'])} long statements of {found['threads']} threads.\n"
	)


def write_log(path: Path, entries: int, first: int = 0) -> None:
	"""A MariaDB-format slow log: one site's database, SHAPES statement shapes, values varying."""
	rng = random.Random(first)
	lines = []
	for n in range(first, first + entries):
		shape = rng.randrange(SHAPES)
		lines.append(
			f"# User@Host: s[s] @  [127.0.0.1]\n# Thread_id: {n % 40}  Schema: {SITE_DB}  QC_hit: No\n"
			f"# Query_time: {rng.random() / 20:.6f}  Lock_time: 0.000011  Rows_sent: 3  Rows_examined: {rng.randrange(5000)}\n"
			f"SET timestamp={START + n // 50};\n"
			f"SELECT name FROM `tabShape{shape:03d}` WHERE customer = 'C-{rng.randrange(99999)}' AND docstatus = {n % 3};\n"
		)
	with path.open("a") as log:
		log.write("".join(lines))


def top_section(entries: int, appended: int, runs: int) -> str:
	folder = Path(tempfile.mkdtemp(prefix="pe_bench_slow_"))
	path = folder / "slow.log"
	try:
		write_log(path, entries)
		size = path.stat().st_size
		slow_log_digest.forget()
		started = time.perf_counter()
		cold = top_queries(None, SITE_DB, since=0, slow_log_file=str(path), limit=20)
		cold_ms = (time.perf_counter() - started) * 1000
		warm_times = []
		for round_ in range(runs):
			write_log(path, appended, entries + round_ * appended)
			started = time.perf_counter()
			warm = top_queries(None, SITE_DB, since=0, slow_log_file=str(path), limit=20)
			warm_times.append((time.perf_counter() - started) * 1000)
		warm_ms = statistics.median(warm_times)
		pt_line, ratio = "| pt-query-digest (not installed) | — |", ""
		if shutil.which("pt-query-digest"):
			started = time.perf_counter()
			subprocess.run(
				["pt-query-digest", "--output", "json", "--limit", "20", str(path)],
				capture_output=True,
				check=True,
			)
			pt_ms = (time.perf_counter() - started) * 1000
			pt_line = f"| baseline: pt-query-digest on the same file | {pt_ms:,.0f} ms |"
			ratio = f"Ratio: the refreshing view is **{pt_ms / warm_ms:,.0f}x faster than pt-query-digest** and {cold_ms / warm_ms:,.0f}x faster than its own first read. "
	finally:
		shutil.rmtree(folder)
		slow_log_digest.forget()
	return (
		f"### Top queries, a slow log of {entries:,} entries ({size / 2**20:.1f} MB; tail read: {SLOW_LOG_TAIL_BYTES // 2**20} MB)\n\n"
		"| view | time |\n|---|---|\n"
		f"{pt_line}\n"
		f"| perf_engine, first read in a process (parse and fingerprint every entry) | {cold_ms:,.0f} ms |\n"
		f"| perf_engine, a refresh after {appended:,} more entries (median of {runs}) | {warm_ms:.1f} ms |\n\n"
		"pt-query-digest reads the whole file; perf_engine reads its last 16 MB, the newest entries. "
		f"{ratio}Absolute: **{warm_ms:.1f} ms** per refresh (goal < {GOAL_MS} ms); the first read in each process "
		f"costs {cold_ms / 1000:.1f} s once. {cold['executions']:,} then {warm['executions']:,} executions in {warm['fingerprints']} fingerprints.\n"
	)


def run(quick: bool) -> str:
	threads, entries = (100, 10_000) if quick else (500, 100_000)
	return (
		"## Database observatory: running queries and top queries at size (issue 27)\n\n"
		+ running_section(threads, 5 if quick else 20)
		+ "\n"
		+ top_section(entries, 1000, 3 if quick else 10)
	)
