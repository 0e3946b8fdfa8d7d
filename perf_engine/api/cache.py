"""Cache and Redis memory methods: memory status with breakdown, cleanup, warming."""

import frappe

from perf_engine import bridge
from perf_engine.core import redis_cleanup, redis_memory
from perf_engine.perf_engine.doctype.redis_cleanup_log import redis_cleanup_log
from perf_engine.tasks import cache as cache_tasks


def publish(title: str):
	"""A progress callback that shows Frappe's realtime progress bar in Desk."""
	return lambda done, total: frappe.publish_progress(done * 100 / max(total, 1), title=title)


@frappe.whitelist()
@bridge.core_errors()
def get_redis_memory(sample: int = redis_memory.BREAKDOWN_SAMPLE) -> dict:
	"""Memory, pressure and fragmentation of the cache Redis, with this site's keys by prefix."""
	bridge.require_manager()
	options = cache_tasks.redis_cleanup_options()
	client = bridge.cache_redis()
	status = redis_memory.memory_status(client, options["budget_bytes"])
	match = redis_cleanup.escape_glob(redis_cleanup.site_prefix(bridge.cache_prefix())) + "*"
	return {
		**status,
		"threshold": options["threshold"],
		"target": options["target"],
		"breakdown": redis_memory.breakdown(client, match=match, sample=min(int(sample), 20_000)),
	}


@frappe.whitelist(methods=["POST"])
@bridge.core_errors()
def cleanup_redis(dry_run: int = 1, force: int = 0) -> dict:
	"""Delete this site's non-essential keys (a dry run by default); `force` ignores the threshold."""
	bridge.require_manager()
	report = redis_cleanup.cleanup(
		bridge.cache_redis(),
		bridge.cache_prefix(),
		dry_run=bool(int(dry_run)),
		force=bool(int(force)),
		on_progress=publish(frappe._("Cleaning up Redis")),
		**cache_tasks.redis_cleanup_options(),
	)
	report["log"] = redis_cleanup_log.record(report, "Manual")
	return report


@frappe.whitelist(methods=["POST"])
@bridge.core_errors()
def warm_caches() -> dict:
	"""Warm the configured entries now, as the hourly job does."""
	bridge.require_manager()
	return cache_tasks.warm_caches(on_progress=publish(frappe._("Warming caches")))
