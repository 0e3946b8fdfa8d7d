"""Functions the test rq workers run (they import this module by name).

Each first records where its work horse runs, as Frappe's `before_job` hook does for every
job in a bench (`perf_engine.services.jobs.remember_worker_host`)."""

import functools
import os
import time

from perf_engine.core.jobs.worker_hosts import remember_running_job
from tests.services import connect_database


def recorded(job):
	"""The job, run after its horse has recorded its host."""

	@functools.wraps(job)
	def run(*args, **kwargs):
		remember_running_job()
		return job(*args, **kwargs)

	return run


@recorded
def add(a: int, b: int) -> int:
	return a + b


@recorded
def sleep_for(seconds: float) -> str:
	time.sleep(seconds)
	return "slept"


@recorded
def sleep_first_time(marker: str, seconds: float) -> str:
	"""Sleep on the first run only: a job that hangs once and succeeds when requeued."""
	if os.path.exists(marker):
		return "second run"
	open(marker, "w").close()
	time.sleep(seconds)
	return "first run"


@recorded
def count_run_and_sleep(log: str, seconds: float) -> int:
	"""Append one line per run, then sleep: how many times a job really ran."""
	with open(log, "a") as runs:
		runs.write("run\n")
	time.sleep(seconds)
	with open(log) as runs:
		return len(runs.readlines())


@recorded
def fail_first_time(marker: str) -> str:
	"""Raise on the first run only, to exercise RQ's Retry."""
	if not os.path.exists(marker):
		open(marker, "w").close()
		raise RuntimeError("first attempt fails")
	return "retried"


@recorded
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


@recorded
def count_run_and_sleep_first_time(log: str, seconds: float) -> int:
	"""Append one line per run and sleep on the first only: how many times a job that hangs once really ran."""
	with open(log, "a") as runs:
		runs.write("run\n")
	with open(log) as runs:
		count = len(runs.readlines())
	if count == 1:
		time.sleep(seconds)
	return count


def fail_always(message: str) -> None:
	"""Raise every time: a job whose failures are grouped by their message."""
	raise ValueError(message)
