"""When a queue needs workers, judged from job statistics: its workers busy past BUSY_RATIO in every one
of the last BUSY_MINUTES minutes, or its jobs' p95 queue wait past the `job_queue_wait` threshold; and
the capacity hint that says how many workers to add.
"""

import math

import pymysql

from perf_engine.core.latency.thresholds import CRITICAL_FACTOR, DEFAULT_THRESHOLDS, SECONDS_TO

BUSY_RATIO = 0.8
BUSY_MINUTES = 15
# Workers sized so they are busy this share of the time leave room for bursts.
TARGET_RATIO = 0.7
OK, WARNING, CRITICAL = "ok", "warning", "critical"
WAIT_THRESHOLD = "job_queue_wait"
DEFAULT_WAIT_LIMIT_S = next(t.value for t in DEFAULT_THRESHOLDS if t.operation_type == WAIT_THRESHOLD)
THRESHOLD_SQL = "SELECT value, unit, enabled FROM `tabPerformance Threshold` WHERE name = %s"
NO_SUCH_TABLE = 1146


def wait_limit_s(conn: pymysql.Connection | None) -> float | None:
	"""The site's `job_queue_wait` threshold in seconds: its stored value, the default without a site or
	a stored row, None when it is disabled."""
	if conn is None:
		return DEFAULT_WAIT_LIMIT_S
	try:
		with conn.cursor() as cur:
			cur.execute(THRESHOLD_SQL, (WAIT_THRESHOLD,))
			row = cur.fetchone()
	except pymysql.MySQLError as exc:
		if not exc.args or exc.args[0] != NO_SUCH_TABLE:
			raise
		row = None
	if row is None:
		return DEFAULT_WAIT_LIMIT_S
	value, unit, enabled = row
	if not enabled:
		return None
	return float(value) / SECONDS_TO.get(unit, 1)


def busy_throughout(ratios: list[float | None]) -> bool:
	"""Busy past BUSY_RATIO in each of the last BUSY_MINUTES minutes (a minute without workers breaks it)."""
	recent = ratios[-BUSY_MINUTES:]
	return len(recent) == BUSY_MINUTES and all(r is not None and r >= BUSY_RATIO for r in recent)


def workers_needed(busy_s: float, window_s: float) -> int:
	"""Workers that would have run the window's work (busy worker-seconds) at TARGET_RATIO busy."""
	return max(1, math.ceil(busy_s / window_s / TARGET_RATIO)) if window_s > 0 else 1


def hint(
	queue: str, usage: tuple[float, float], window_s: float, workers: int, wait_p95_s: float | None
) -> str:
	"""How many workers to add to `queue`, and why; `usage` is (busy, available) worker-seconds."""
	busy_s, capacity_s = usage
	needed = workers_needed(busy_s, window_s)
	add = max(1, needed - workers)
	busy = f"its workers were {busy_s / capacity_s:.0%} busy" if capacity_s > 0 else "it had no live worker"
	waited = f", jobs waited {wait_p95_s:.0f} s (p95)" if wait_p95_s is not None else ""
	return (
		f"Add {add} worker(s) to the {queue} queue: {busy}{waited}; {workers + add} would run its load at "
		f"about {TARGET_RATIO:.0%} busy (bench worker --queue {queue}, or its supervisor entry)."
	)


def judge(
	queue: str,
	ratios: list[float | None],
	usage: tuple[float, float],
	window_s: float,
	workers: int,
	wait_p95_s: float | None,
	limit_s: float | None,
) -> dict:
	"""One queue's status, the reason and the capacity hint when it needs workers; `ratios` are its
	workers' busy share per minute, oldest first."""
	busy = busy_throughout(ratios)
	over = wait_p95_s is not None and limit_s is not None and wait_p95_s > limit_s
	status = CRITICAL if over and wait_p95_s > limit_s * CRITICAL_FACTOR else WARNING if busy or over else OK
	reasons = []
	if busy:
		reasons.append(f"workers over {BUSY_RATIO:.0%} busy for {BUSY_MINUTES} min")
	if over:
		reasons.append(f"p95 queue wait {wait_p95_s:.1f} s over {limit_s:g} s")
	if not reasons:
		wait = "no job ended" if wait_p95_s is None else f"p95 queue wait {wait_p95_s:.1f} s"
		reasons.append(f"{wait}, workers not busy throughout")
	return {
		"queue": queue,
		"status": status,
		"reason": f"{queue}: {'; '.join(reasons)}",
		"wait_p95_s": wait_p95_s,
		"action": hint(queue, usage, window_s, workers, wait_p95_s) if status != OK else "",
	}
