"""This site's SLA view and the interval percentiles each snapshot stores (see `perf_engine.core.latency.sla`)."""

import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import frappe
from frappe.utils import convert_utc_to_system_timezone, get_datetime, get_system_timezone, now_datetime

from perf_engine.core.latency import sla
from perf_engine.core.latency.thresholds import SECONDS_TO, percentile
from perf_engine.services import bridge
from perf_engine.services.thresholds import CHECK_WINDOW, read_window

# A snapshot covers entries that started since the previous one, up to a minute ago (requests
# still running are stored when they end), and never reaches back further than this.
SNAPSHOT_LAG = timedelta(minutes=1)
MAX_INTERVAL = timedelta(hours=1)
MS = SECONDS_TO["ms"]
PERIODS_CACHE_KEY = "perf_engine:sla_periods"
PERIODS_CACHE_S = 3600


def get_sla() -> dict:
	"""p50/p95/p99 and counts per kind of work and top endpoint: window, last day, last 7 days."""
	window = read_window(CHECK_WINDOW)
	minutes = round(CHECK_WINDOW.total_seconds() / 60)
	return {**sla.report(window, minutes, stored_periods()), "checked_at": now_datetime()}


def stored_periods() -> dict[str, dict]:
	"""Day and week figures, merged again only once a new snapshot is stored: a metrics scrape every
	few seconds must not merge a week of histograms each time. They hold until the next snapshot."""
	marker = str(previous_until())
	cached = frappe.cache.get_value(PERIODS_CACHE_KEY)
	if cached and cached.get("marker") == marker:
		return cached["periods"]
	periods = sla.stored_periods(bridge.db_connection(), now_datetime())
	frappe.cache.set_value(
		PERIODS_CACHE_KEY, {"marker": marker, "periods": periods}, expires_in_sec=PERIODS_CACHE_S
	)
	return periods


def interval_fields() -> dict:
	"""Perf Snapshot fields for the interval since the previous snapshot's: request percentiles and
	the histograms that day and week figures add up."""
	until = datetime.now(timezone.utc) - SNAPSHOT_LAG
	start = until - MAX_INTERVAL
	if (previous := previous_until()) is not None:
		start = min(until, max(start, utc(previous)))
	window = read_window(until - start, until)
	requests = window.kind("request").durations if window.kind("request") else []
	fields = {
		"sla_from": site_time(start),
		"sla_until": site_time(until),
		"request_count": len(requests),
		"sla_histograms": json.dumps(sla.window_histograms(window), separators=(",", ":")),
	}
	for pct in sla.PERCENTILES if requests else ():
		fields[f"request_p{pct}_ms"] = round(percentile(requests, pct) * MS, 1)
	return fields


def utc(stored: datetime) -> datetime:
	"""A naive datetime in the site's time zone, as Frappe stores it, in UTC."""
	return get_datetime(stored).replace(tzinfo=ZoneInfo(get_system_timezone())).astimezone(timezone.utc)


def site_time(moment: datetime) -> datetime:
	"""A UTC datetime as Frappe stores datetimes: naive, in the site's time zone."""
	return convert_utc_to_system_timezone(moment).replace(tzinfo=None)


def previous_until() -> datetime | None:
	"""Where the newest snapshot's interval ended (site time), if any."""
	rows = frappe.get_all(
		"Perf Snapshot",
		filters={"sla_until": ("is", "set")},
		fields=["sla_until"],
		order_by="sla_until desc",
		limit=1,
	)
	return rows[0].sla_until if rows else None
