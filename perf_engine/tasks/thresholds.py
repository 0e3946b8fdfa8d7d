"""Scheduled threshold check over the last 15 minutes."""

from perf_engine.services import thresholds


def check_thresholds() -> dict:
	return thresholds.check_thresholds()
