"""Job statistics for this bench and site, through `perf_engine.core.jobstats`: the minute sample, the
view, each snapshot's interval, and the `job_queue_wait` threshold's measure.

The sample is bench-wide (every queue's registries and workers, once for every site asking within a
few seconds); what a site shows and stores are its own jobs (`<site>::` job ids) and every queue's
workers.
"""

import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import frappe
from frappe.utils import get_system_timezone, now_datetime

from perf_engine.core.jobstats import minutes, report, sampling, snapshots, verdict, window
from perf_engine.core.jobstats.keys import RETAIN_MINUTES, minute_of
from perf_engine.services import bridge, jobs

# A snapshot stores whole minutes up to this many before the current one: the current minute and the one
# before it may still gain jobs that ended in them but that no sample has read yet.
SETTLE_MINUTES = 1
THRESHOLD_WINDOW_MINUTES = 15


def sample_job_stats() -> dict:
	"""Count the jobs that ended and the workers' busy time since the previous sample. Cheap and bounded:
	a few pipelined reads per queue, the new jobs' hashes only (at most `sampling.MAX_NEW`)."""
	return sampling.sample(bridge.queue_redis(), jobs.bench_queues()).as_dict()


def get_job_stats(since: str | None = None, top: int = report.MAX_METHODS) -> dict:
	"""This site's job statistics since a moment (the last hour by default), after a fresh sample."""
	now = datetime.now(timezone.utc)
	start = window.since_of(since, ZoneInfo(get_system_timezone()), now)
	sample_job_stats()
	db = bridge.db_connection()
	stored = []
	if minute_of(start.timestamp()) <= minute_of(now.timestamp()) - RETAIN_MINUTES:
		stored = snapshots.stored_spans(db, minute_of(start.timestamp()), now)
	found = report.window_report(
		bridge.queue_redis(),
		jobs.bench_queues(),
		start.timestamp(),
		now.timestamp(),
		site=frappe.local.site,
		stored=stored,
		wait_limit_s=verdict.wait_limit_s(db),
		top=top,
	)
	return {**found, "checked_at": now_datetime()}


def interval_fields() -> dict:
	"""The Perf Snapshot field for the minutes since the previous snapshot's (at most an hour): this
	site's jobs and every queue's worker usage."""
	end = minute_of(time.time()) - SETTLE_MINUTES
	start = snapshots.last_end(bridge.db_connection())
	floor = max(end - snapshots.MAX_INTERVAL_MINUTES, end - RETAIN_MINUTES)
	start = floor if start is None else min(end, max(start, floor))
	if start >= end:
		return {}
	spans = minutes.read(bridge.queue_redis(), start, end - 1)
	return {
		"job_stats": snapshots.to_json(start, end, snapshots.interval(spans, frappe.local.site, start, end))
	}


def queue_wait() -> tuple[float, int] | None:
	"""p95 queue wait (s) of this site's jobs that ended in the threshold window, and how many, after a
	fresh sample; None when none did."""
	sample_job_stats()
	return report.site_queue_wait(
		bridge.queue_redis(), frappe.local.site, time.time(), THRESHOLD_WINDOW_MINUTES
	)
