"""SLA percentiles: p50, p95, p99 and counts per kind of work and per top endpoint.

Measures: for the monitor window, nearest-rank percentiles of the raw durations (exact); for
the last day and the last 7 days, percentiles of the latency histograms the snapshots stored
for each interval, summed (exact to a bucket, see `latency_histogram`). A snapshot keeps the
histograms of every kind of work and of its TOP_STORED endpoints by total time: an endpoint's
day or week figures count only the intervals in which it was among them.
"""

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from itertools import islice
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pymysql

from perf_engine.core.errors import InvalidInput
from perf_engine.core.latency.histogram import Histogram
from perf_engine.core.latency.monitor import MonitorWindow
from perf_engine.core.latency.thresholds import percentile
from perf_engine.core.latency.work_kinds import KINDS

PERCENTILES = (50, 95, 99)
TOP_ENDPOINTS = 10
TOP_STORED = 20
WINDOW, DAY, WEEK = "window", "day", "week"
PERIODS = (WINDOW, DAY, WEEK)


def row(count: int, total_s: float, quantile) -> dict:
	"""One SLA row: count, total seconds and each percentile in seconds."""
	return {
		"count": count,
		"total_s": round(total_s, 6),
		**{f"p{pct}_s": round(quantile(pct), 6) for pct in PERCENTILES},
	}


def exact_row(durations) -> dict:
	return row(len(durations), sum(durations), lambda pct: percentile(durations, pct))


def bucket_row(histogram: Histogram) -> dict:
	return row(histogram.count, histogram.sum_s, histogram.percentile)


def ordered_kinds(names: Iterable[str]) -> list[str]:
	"""Known kinds in their fixed order, then any other."""
	names = set(names)
	return [k for k in KINDS if k in names] + sorted(names - set(KINDS))


def window_figures(window: MonitorWindow) -> dict:
	"""Exact percentiles of the window's raw durations, per kind of work and per top endpoint."""
	kinds = {kind: exact_row(window.work[kind]) for kind in ordered_kinds(window.work) if window.work[kind]}
	top = sorted(window.endpoints.items(), key=lambda item: -sum(item[1]))[:TOP_ENDPOINTS]
	endpoints = [{"kind": kind, "endpoint": name, **exact_row(durations)} for (kind, name), durations in top]
	return {"kinds": kinds, "endpoints": endpoints}


def window_histograms(window: MonitorWindow) -> dict:
	"""What a snapshot stores for its interval: every kind's histogram and its top endpoints'."""
	top = sorted(window.endpoints.items(), key=lambda item: -sum(item[1]))[:TOP_STORED]
	return {
		"kinds": {kind: Histogram.of(durations).to_json() for kind, durations in window.work.items()},
		"endpoints": [[kind, name, Histogram.of(durations).to_json()] for (kind, name), durations in top],
	}


def parse_stored(stored: Mapping) -> tuple[list, list]:
	"""One snapshot's stored histograms: [(kind, Histogram)], [((kind, endpoint), Histogram)]."""
	try:
		kinds = [(kind, Histogram.from_json(h)) for kind, h in stored.get("kinds", {}).items()]
		endpoints = [((kind, name), Histogram.from_json(h)) for kind, name, h in stored.get("endpoints", [])]
	except (AttributeError, TypeError, ValueError) as exc:
		raise InvalidInput(f"Not stored SLA histograms: {exc}") from exc
	return kinds, endpoints


class PeriodHistograms:
	"""Stored interval histograms summed over a period (a day, a week)."""

	def __init__(self) -> None:
		self.kinds: dict[str, Histogram] = {}
		self.endpoints: dict[tuple[str, str], Histogram] = {}
		self.snapshots = 0

	def add_parsed(self, parsed: tuple[list, list]) -> None:
		"""Add one snapshot's histograms, as `parse_stored` read them."""
		kinds, endpoints = parsed
		self.snapshots += 1
		for kind, histogram in kinds:
			self.kinds.setdefault(kind, Histogram()).merge(histogram)
		for key, histogram in endpoints:
			self.endpoints.setdefault(key, Histogram()).merge(histogram)

	def merge(self, other: "PeriodHistograms") -> None:
		"""Add another period's sums (a week is the day plus the six days before it)."""
		self.snapshots += other.snapshots
		for kind, histogram in other.kinds.items():
			self.kinds.setdefault(kind, Histogram()).merge(histogram)
		for key, histogram in other.endpoints.items():
			self.endpoints.setdefault(key, Histogram()).merge(histogram)

	def figures(self) -> dict:
		kinds = {
			kind: bucket_row(self.kinds[kind]) for kind in ordered_kinds(self.kinds) if self.kinds[kind].count
		}
		top = islice(sorted(self.endpoints.items(), key=lambda item: -item[1].sum_s), TOP_ENDPOINTS)
		endpoints = [{"kind": kind, "endpoint": name, **bucket_row(h)} for (kind, name), h in top]
		return {"kinds": kinds, "endpoints": endpoints, "snapshots": self.snapshots}


SNAPSHOT_TABLE = "`tabPerf Snapshot`"
SNAPSHOT_PAGE = 500
# Snapshots are at most one a minute: a week is at most this many rows.
MAX_SNAPSHOTS = 7 * 24 * 60
STORED_SQL = (
	f"SELECT taken_at, sla_histograms FROM {SNAPSHOT_TABLE} "
	"WHERE taken_at >= %s AND sla_histograms IS NOT NULL AND sla_histograms != '' "
	"ORDER BY taken_at LIMIT %s OFFSET %s"
)
DAY_S, WEEK_S = 24 * 3600, 7 * 24 * 3600
NO_SUCH_TABLE, NO_SUCH_COLUMN = 1146, 1054
TIME_ZONE_SQL = "SELECT value FROM `tabSingles` WHERE doctype = 'System Settings' AND field = 'time_zone'"


def stored_periods(conn: pymysql.Connection, now: datetime) -> dict[str, dict]:
	"""Day and week figures from the snapshots' stored histograms, read in pages, merged as they come.

	`now` is in the site's time, as Frappe stores `taken_at`."""
	day, earlier = PeriodHistograms(), PeriodHistograms()
	day_start = (now - timedelta(seconds=DAY_S)).replace(tzinfo=None)
	week_start = (now - timedelta(seconds=WEEK_S)).replace(tzinfo=None)
	for offset in range(0, MAX_SNAPSHOTS, SNAPSHOT_PAGE):
		try:
			with conn.cursor() as cur:
				cur.execute(STORED_SQL, (week_start, SNAPSHOT_PAGE, offset))
				rows = cur.fetchall()
		except pymysql.MySQLError as exc:
			# A site without perf_engine (or not yet migrated) has no stored histograms.
			if exc.args and exc.args[0] in (NO_SUCH_TABLE, NO_SUCH_COLUMN):
				break
			raise
		for taken_at, stored in rows:
			try:
				parsed = parse_stored(json.loads(stored))
			except (ValueError, InvalidInput):
				continue
			(day if taken_at >= day_start else earlier).add_parsed(parsed)
		if len(rows) < SNAPSHOT_PAGE:
			break
	day_figures = day.figures()
	earlier.merge(day)
	return {DAY: day_figures, WEEK: earlier.figures()}


def report(window: MonitorWindow, window_minutes: int, periods: dict[str, dict]) -> dict:
	"""The SLA view: exact window figures, and the day and week figures of `stored_periods`."""
	return {
		"window_minutes": window_minutes,
		WINDOW: window_figures(window),
		DAY: periods[DAY],
		WEEK: periods[WEEK],
		"window_histograms": {
			kind: Histogram.of(window.work[kind]).to_json() for kind in ordered_kinds(window.work)
		},
		"method": "The window's percentiles are nearest-rank over its raw monitor entries. Day and week "
		"percentiles sum the latency histograms stored with each snapshot: exact to a bucket (never "
		"below the true value, at most 19 % above), up to the last snapshot.",
	}


def site_now(conn: pymysql.Connection) -> datetime:
	"""Now in the site's time zone (System Settings), naive, as Frappe stores datetimes."""
	try:
		with conn.cursor() as cur:
			cur.execute(TIME_ZONE_SQL)
			row = cur.fetchone()
	except pymysql.MySQLError as exc:
		if not exc.args or exc.args[0] != NO_SUCH_TABLE:
			raise
		row = None
	try:
		zone = ZoneInfo(row[0]) if row and row[0] else timezone.utc
	except (ZoneInfoNotFoundError, ValueError):
		zone = timezone.utc
	return datetime.now(zone).replace(tzinfo=None)
