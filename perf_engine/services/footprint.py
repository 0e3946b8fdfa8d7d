"""perf_engine's own cost on this site: each of its scheduled jobs notes its run and worker time in the
ledger (`core.footprint.ledger`), and a bench-wide pass notes itself once for the bench.

A job's worker time runs from when RQ started it (Frappe's site setup included) to its end; run
outside a worker (`bench execute`), from its call. Noting never fails the job: a Redis error is logged.
"""

import functools
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import ParamSpec, TypeVar

from frappe.utils import now_datetime
from rq import get_current_job

from perf_engine.core.footprint import ledger
from perf_engine.core.footprint import report as core_report
from perf_engine.core.health import footprint_rules
from perf_engine.services import bridge, settings

logger = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


def metered(job: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
	"""Note every run of the decorated job and its worker time under `job`, whether it succeeds or fails."""

	def decorate(run: Callable[P, R]) -> Callable[P, R]:
		@functools.wraps(run)
		def noted(*args: P.args, **kwargs: P.kwargs) -> R:
			called = time.monotonic()
			try:
				return run(*args, **kwargs)
			finally:
				note(
					lambda: ledger.record_job(
						bridge.cache_redis(), bridge.cache_prefix(), job, worker_seconds(called), time.time()
					)
				)

		return noted

	return decorate


def worker_seconds(called: float) -> float:
	"""Since RQ started this job (it stamps `started_at` in naive UTC), else since the call."""
	job = get_current_job()
	if job is not None and job.started_at is not None:
		return max((datetime.utcnow() - job.started_at).total_seconds(), 0.0)
	return time.monotonic() - called


def note_bench_pass() -> None:
	"""Count one bench-wide pass in the queue Redis' bench ledger."""
	note(lambda: ledger.record_bench_pass(bridge.queue_redis(), time.time()))


def note(write: Callable[[], None]) -> None:
	try:
		write()
	except Exception as exc:
		logger.warning("perf_engine could not note its own cost: %s: %s", type(exc).__name__, exc)


def report() -> dict:
	"""This site's "perf_engine itself": every figure and its verdict, as the health overview judges it."""
	found = core_report.read(
		bridge.cache_redis(), bridge.queue_redis(), bridge.db_connection(), time.time(), now_datetime()
	)
	return {**found, "health": footprint_rules.footprint(found, settings.get())}
