"""Scheduled cache warming, hourly on the long queue."""

from perf_engine.services import warm


def warm_caches() -> dict:
	return warm.warm_caches()
