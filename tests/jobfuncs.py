"""Functions the test rq workers run (they import this module by name)."""

import os
import time

from tests.services import connect_database


def add(a: int, b: int) -> int:
	return a + b


def sleep_for(seconds: float) -> str:
	time.sleep(seconds)
	return "slept"


def sleep_first_time(marker: str, seconds: float) -> str:
	"""Sleep on the first run only: a job that hangs once and succeeds when requeued."""
	if os.path.exists(marker):
		return "second run"
	open(marker, "w").close()
	time.sleep(seconds)
	return "first run"


def count_run_and_sleep(log: str, seconds: float) -> int:
	"""Append one line per run, then sleep: how many times a job really ran."""
	with open(log, "a") as runs:
		runs.write("run\n")
	time.sleep(seconds)
	with open(log) as runs:
		return len(runs.readlines())


def fail_first_time(marker: str) -> str:
	"""Raise on the first run only, to exercise RQ's Retry."""
	if not os.path.exists(marker):
		open(marker, "w").close()
		raise RuntimeError("first attempt fails")
	return "retried"


def names_in_chunk(database: str, table: str, after: str | None, upto: str) -> list[str]:
	"""The names one fan-out chunk covers, read the way a chunk job would."""
	conn = connect_database(database)
	with conn.cursor() as cur:
		if after is None:
			cur.execute(f"SELECT name FROM `{table}` WHERE name <= %s ORDER BY name", (upto,))
		else:
			cur.execute(
				f"SELECT name FROM `{table}` WHERE name > %s AND name <= %s ORDER BY name", (after, upto)
			)
		names = [row[0] for row in cur.fetchall()]
	conn.close()
	return names


def fail_always(message: str) -> None:
	"""Raise every time: a job whose failures are grouped by their message."""
	raise ValueError(message)
