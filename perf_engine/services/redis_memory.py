"""This site's view of the cache Redis: memory with its keys by prefix, and cleanup with a log."""

from collections.abc import Callable

from perf_engine.core.redis import cleanup as redis_cleanup
from perf_engine.core.redis import memory as redis_memory
from perf_engine.perf_engine.doctype.redis_cleanup_log import redis_cleanup_log
from perf_engine.services import bridge, schedule, settings

BREAKDOWN_SAMPLE_MAX = 20_000
LAST_CHECK_KEY = "perf_engine:last_redis_check"
CHECK_EVERY_S = 15 * 60


def status(sample: int = redis_memory.BREAKDOWN_SAMPLE) -> dict:
	"""Memory, pressure and fragmentation, the cleanup threshold and target, and this site's keys by prefix."""
	options = settings.get().cleanup_options
	client = bridge.cache_redis()
	match = redis_cleanup.escape_glob(redis_cleanup.site_prefix(bridge.cache_prefix())) + "*"
	return {
		**redis_memory.memory_status(client, options["budget_bytes"]),
		"threshold": options["threshold"],
		"target": options["target"],
		"breakdown": redis_memory.breakdown(
			client, match=match, sample=min(int(sample), BREAKDOWN_SAMPLE_MAX)
		),
	}


def cleanup(dry_run: bool, force: bool, on_progress: Callable[[int, int], None] | None = None) -> dict:
	"""A cleanup asked for by a person: always logged, dry run or not."""
	report = run_cleanup(dry_run=dry_run, force=force, on_progress=on_progress)
	report["log"] = redis_cleanup_log.record(report, "Manual")
	return report


def cleanup_when_due() -> None:
	"""A part of the tick: every 15 minutes, a cleanup when pressure is past the threshold."""
	if schedule.due(LAST_CHECK_KEY, CHECK_EVERY_S):
		cleanup_when_pressured()


def cleanup_when_pressured() -> dict:
	"""Clean up when pressure is past the threshold; log runs that did something."""
	report = run_cleanup(dry_run=False)
	if not report.get("skipped"):
		redis_cleanup_log.record(report, "Scheduler")
	return report


def run_cleanup(**options) -> dict:
	return redis_cleanup.cleanup(
		bridge.cache_redis(), bridge.cache_prefix(), **options, **settings.get().cleanup_options
	)
