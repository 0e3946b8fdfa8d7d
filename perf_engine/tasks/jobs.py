"""Scheduled job checks: stalled jobs every `stall_check_minutes` (5 by default), due scheduled jobs once
per bench every minute."""

from perf_engine.services import jobs


def check_stalls_when_due() -> None:
	jobs.check_stalls_when_due()


def promote_due_jobs() -> None:
	jobs.promote_due_jobs_once_per_bench()
