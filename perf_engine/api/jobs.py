"""Queue and job methods: status, listings, statistics, stalls, stop, requeue and fan-out progress."""

import frappe

from perf_engine.core.jobs import actions, fanout, listing
from perf_engine.services import bridge, jobs, jobstats, settings


@frappe.whitelist()
@bridge.core_errors()
def get_queue_status() -> list[dict]:
	"""Counts, oldest job age, workers and rebalancing advice for every queue of the bench."""
	bridge.require_manager()
	return jobs.queue_status()


@frappe.whitelist()
@bridge.core_errors()
def get_jobs(
	queue: str,
	registry: str = "queued",
	page: int = 1,
	page_size: int = listing.PAGE_SIZE,
	method: str | None = None,
) -> dict:
	"""One page of this site's jobs in a queue's list or registry."""
	bridge.require_manager()
	return jobs.list_jobs(queue, registry, page, page_size, method)


@frappe.whitelist()
@bridge.core_errors()
def get_job_stats(since: str | None = None) -> dict:
	"""This site's jobs per method, failures grouped, every queue's utilization and wait, and the workers'
	counters, since a moment (hour, day, week, 15m, 6h, 2d or an ISO date-time; the last hour by default)."""
	bridge.require_manager()
	return jobstats.get_job_stats(since)


@frappe.whitelist()
@bridge.core_errors()
def detect_stalled_jobs() -> list[dict]:
	"""Run the stalled-job check now, as the scheduler does."""
	bridge.require_manager()
	return jobs.check_stalls()


@frappe.whitelist()
@bridge.core_errors()
def stop_job(job_id: str) -> dict:
	"""Stop a running job of this site through RQ's stop command (or cancel a queued one)."""
	bridge.require_manager()
	grace = settings.get().stall_limits.heartbeat_grace_s
	return actions.stop_job(bridge.queue_redis(), jobs.own_job_id(job_id), grace)


@frappe.whitelist()
@bridge.core_errors()
def requeue_job(job_id: str, force: int = 0) -> dict:
	"""Put a failed or orphaned job of this site back on its queue; one that may still be running only with force=1."""
	bridge.require_manager()
	grace = settings.get().stall_limits.heartbeat_grace_s
	return actions.requeue_job(bridge.queue_redis(), jobs.own_job_id(job_id), grace, force=bool(int(force)))


@frappe.whitelist()
@bridge.core_errors()
def get_fanout_progress(fanout_id: str) -> dict:
	"""Finished, failed and pending chunks of a fan-out started with perf_engine.jobs.fan_out."""
	bridge.require_manager()
	return fanout.progress(bridge.queue_redis(), fanout_id)
