"""Scheduled cache warming, hourly on the long queue."""

from perf_engine.services import footprint, warm


@footprint.metered("warm_caches")
def warm_caches() -> dict:
	return warm.warm_caches()
