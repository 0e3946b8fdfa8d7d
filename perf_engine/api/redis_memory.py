"""Redis memory methods: memory status with this site's keys by prefix, and cleanup."""

import frappe

from perf_engine.core.redis import memory as core_redis_memory
from perf_engine.services import bridge, redis_memory


@frappe.whitelist()
@bridge.core_errors()
def get_redis_memory(sample: int = core_redis_memory.BREAKDOWN_SAMPLE) -> dict:
	"""Memory, pressure and fragmentation of the cache Redis, with this site's keys by prefix."""
	bridge.require_manager()
	return redis_memory.status(sample)


@frappe.whitelist(methods=["POST"])
@bridge.core_errors()
def cleanup_redis(dry_run: int = 1, force: int = 0) -> dict:
	"""Delete this site's non-essential keys (a dry run by default); `force` ignores the threshold."""
	bridge.require_manager()
	return redis_memory.cleanup(
		bool(int(dry_run)), bool(int(force)), on_progress=bridge.progress(frappe._("Cleaning up Redis"))
	)
