"""Scheduled Redis memory check: a cleanup every 15 minutes when pressure is past the threshold."""

from perf_engine.services import redis_memory


def cleanup_when_pressured() -> dict:
	return redis_memory.cleanup_when_pressured()
