"""How long the site's queries wait behind an index change blocked by an open transaction.

Goal (issue 17): no query waits more than about 1 s behind a blocked apply. A session reads
the table inside a transaction and stays idle for a few seconds; meanwhile a client reads
the table by key in a loop. The figure is the client's longest single wait, for a plain
`ALTER TABLE ... ADD INDEX` (which queues for the table until the holder ends, and every
later query queues behind it) and for perf_engine's apply, with MariaDB's
metadata_lock_info plugin absent and installed; the ratio is plain over perf_engine.
"""

import threading
import time

from perf_engine.core.indexes import apply, holders
from tests.services import connect_database, temporary_database

PLAIN_ALTER = "ALTER TABLE `tabToDo` ADD INDEX `plain_index` (allocated_to)"
START_AFTER_S = 1.2  # the holder's age when the change starts: over the 1 s lock wait


def holder(name: str, hold_s: float, ready: threading.Event) -> None:
	"""Read the table in a transaction, then sit idle holding it for `hold_s`."""
	conn = connect_database(name)
	conn.autocommit(False)
	with conn.cursor() as cur:
		cur.execute("SELECT COUNT(*) FROM `tabToDo`")
	ready.set()
	time.sleep(hold_s)
	conn.rollback()
	conn.close()


def longest_wait(name: str, hold_s: float, change) -> tuple[float, object]:
	"""The reader's longest wait while `change()` runs against a held table, and what it returned."""
	waits, stop, ready = [], threading.Event(), threading.Event()

	def read() -> None:
		conn = connect_database(name)
		with conn.cursor() as cur:
			while not stop.is_set():
				started = time.perf_counter()
				cur.execute("SELECT description FROM `tabToDo` WHERE name = 'T-7'")
				cur.fetchall()
				waits.append(time.perf_counter() - started)
				time.sleep(0.02)
		conn.close()

	holding = threading.Thread(target=holder, args=(name, hold_s, ready))
	holding.start()
	ready.wait()
	reading = threading.Thread(target=read)
	reading.start()
	time.sleep(START_AFTER_S)
	outcome = change()
	holding.join()
	time.sleep(0.2)
	stop.set()
	reading.join()
	return max(waits), outcome


def plain_alter(name: str):
	conn = connect_database(name)
	with conn.cursor() as cur:
		cur.execute(PLAIN_ALTER)
		cur.execute("ALTER TABLE `tabToDo` DROP INDEX `plain_index`")
	conn.close()
	return "built after the holder ended"


def ours(name: str):
	conn = connect_database(name)
	result = apply.apply(conn, name, "tabToDo", ("allocated_to",), "allocated_to_index")
	conn.close()
	return result


def set_plugin(conn, installed: bool) -> None:
	if holders.plugin_installed(conn) != installed:
		with conn.cursor() as cur:
			cur.execute(("INSTALL" if installed else "UNINSTALL") + " SONAME 'metadata_lock_info'")


def run(quick: bool) -> str:
	rows, hold_s = (20_000, 4.0) if quick else (200_000, 8.0)
	lines = []
	with temporary_database("perf_engine_bench") as name:
		conn = connect_database(name)
		was_installed = holders.plugin_installed(conn)
		with conn.cursor() as cur:
			cur.execute(
				"CREATE TABLE `tabToDo` (name VARCHAR(140) PRIMARY KEY, description TEXT, allocated_to VARCHAR(140))"
			)
			cur.execute(
				f"INSERT INTO `tabToDo` SELECT CONCAT('T-', seq), 'x', CONCAT('u', seq % 97) FROM seq_1_to_{rows}"
			)
		try:
			plain, _ = longest_wait(name, hold_s, lambda: plain_alter(name))
			for installed in (False, True):
				set_plugin(conn, installed)
				wait, result = longest_wait(name, hold_s, lambda: ours(name))
				mode = "perf_engine apply, metadata_lock_info " + ("installed" if installed else "absent")
				lines.append(
					(mode, wait, f"{result.status} after {result.attempts} attempt(s): {result.message}")
				)
		finally:
			set_plugin(conn, was_installed)
			conn.close()
	table = "\n".join(
		f"| {mode} | {wait:.2f} s | {plain / max(wait, 0.001):,.0f}x | {note[:140]} |"
		for mode, wait, note in lines
	)
	return (
		f"## Longest query wait behind an index change blocked by a transaction (issue 17)\n\n"
		f"A session holds a {rows:,}-row table in an idle transaction for {hold_s:.0f} s; the change starts "
		f"{START_AFTER_S} s in; a client reads the table by key throughout.\n\n"
		"| method | reader's longest wait | plain ALTER's wait / this | outcome |\n|---|---|---|---|\n"
		f"| baseline: plain `ALTER TABLE ... ADD INDEX` | {plain:.2f} s | 1x | waited until the holder ended |\n"
		f"{table}\n\n"
		"Goal: about 1 s or less (one attempt's lock wait); the plain ALTER holds every query until the holder ends.\n"
	)
