"""Scheduled stalled-job check, run every `stall_check_minutes` (5 minutes by default)."""

from perf_engine.services import jobs


def check_stalls_when_due() -> None:
	jobs.check_stalls_when_due()
