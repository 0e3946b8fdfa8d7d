"""This site's production-readiness checklist: the core's facts from the site's own connections.

Facts are gathered by `perf_engine.core.health.readiness_facts` and judged by
`perf_engine.core.health.readiness`, exactly as `perf-engine readiness` does from a shell.
"""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import frappe
from frappe.utils import get_bench_path, get_system_timezone, now_datetime

from perf_engine.core.config import bench_config
from perf_engine.core.health import readiness, readiness_facts
from perf_engine.core.latency import monitor, slow_requests
from perf_engine.services import bridge, jobs, overview, settings


def sources() -> readiness_facts.Sources:
	"""The site's database, both Redis, the bench's config and this site's own config."""
	return readiness_facts.Sources(
		db=bridge.db_connection(),
		schema=frappe.conf.db_name,
		cache=bridge.cache_redis(),
		queue=bridge.queue_redis(),
		queue_names=jobs.bench_queues(),
		bench_config=bench_config(get_bench_path()),
		site_conf=frappe.conf,
		cache_prefix=bridge.cache_prefix(),
		monitor_log=monitor.log_path(get_bench_path()),
		site=frappe.local.site,
		next_of=overview.next_run,
	)


def requests_since(text: str | None) -> datetime | None:
	"""The moment slow requests are judged from, read in the site's time zone unless the text names one."""
	if not text:
		return None
	return slow_requests.parse_since(text, ZoneInfo(get_system_timezone()), datetime.now(timezone.utc))


def facts(since: str | None = None) -> dict:
	"""Every fact the checklist judges, each read on its own; slow requests only after `since` when given."""
	return readiness_facts.gather(sources(), settings.get(), now_datetime(), requests_since(since))


def answer(requests_since: str | None = None) -> dict:
	"""Every checklist line with its status, evidence and action, and the overall status."""
	return {**readiness.assess(facts(requests_since)), "checked_at": now_datetime()}
