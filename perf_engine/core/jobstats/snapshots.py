"""Job statistics kept in the site's database: each Perf Snapshot stores the interval since the previous
one (this site's jobs, every queue's worker usage) as one bounded aggregate, pruned with the rest of
the history. Windows reaching past what Redis keeps read them, in pages.
"""

import json
import logging
from datetime import datetime, timedelta

import pymysql

from perf_engine.core.errors import InvalidInput
from perf_engine.core.jobstats.aggregate import JobAggregate, check
from perf_engine.core.jobstats.minutes import Span
from perf_engine.core.latency.sla import NO_SUCH_COLUMN, NO_SUCH_TABLE, site_now

logger = logging.getLogger(__name__)
SNAPSHOT_TABLE = "`tabPerf Snapshot`"
PAGE = 200
# Snapshots are at most one a minute and windows at most a week back.
MAX_ROWS = 7 * 24 * 60
# A snapshot's interval reaches back at most this far, as the SLA's does.
MAX_INTERVAL_MINUTES = 60
# Snapshots are kept for the retention period: each failure keeps only the end of its traceback.
EXAMPLE_CHARS = 500
STORED_SQL = (
	f"SELECT job_stats FROM {SNAPSHOT_TABLE} WHERE taken_at >= %s AND job_stats IS NOT NULL "
	"AND job_stats != '' ORDER BY taken_at LIMIT %s OFFSET %s"
)
LATEST_SQL = (
	f"SELECT job_stats FROM {SNAPSHOT_TABLE} WHERE job_stats IS NOT NULL AND job_stats != '' "
	"ORDER BY taken_at DESC LIMIT 1"
)


def to_json(start: int, end: int, aggregate: JobAggregate) -> str:
	"""What a snapshot stores for the interval [start, end) (epoch minutes)."""
	stored = {"from": start, "until": end, **aggregate.to_json(EXAMPLE_CHARS)}
	return json.dumps(stored, separators=(",", ":"))


def from_json(raw: str) -> Span:
	"""A stored interval; InvalidInput when it cannot be read."""
	try:
		stored = json.loads(raw)
		start, end = stored["from"], stored["until"]
		if not (type(start) is int and type(end) is int and start < end):
			raise ValueError("the interval's minutes are not whole and increasing")
	except (KeyError, TypeError, ValueError) as exc:
		raise InvalidInput(f"Not stored job statistics: {exc}") from exc
	return Span(start, end, check(stored))


def interval(spans: list[Span], site: str, start: int, end: int) -> JobAggregate:
	"""The minutes [start, end) of `spans` summed: this site's jobs and every queue's usage."""
	merged = JobAggregate()
	for span in spans:
		if start <= span.start < end:
			merged.add_checked(span.stored, site)
	return merged


def rows(conn: pymysql.Connection, sql: str, args: tuple) -> list:
	"""Rows of the snapshot table; none on a site without perf_engine's table or column."""
	try:
		with conn.cursor() as cur:
			cur.execute(sql, args)
			return cur.fetchall()
	except pymysql.MySQLError as exc:
		if exc.args and exc.args[0] in (NO_SUCH_TABLE, NO_SUCH_COLUMN):
			return []
		raise


def last_end(conn: pymysql.Connection) -> int | None:
	"""Where the newest stored interval ended (epoch minute), if one can be read."""
	for (raw,) in rows(conn, LATEST_SQL, ()):
		try:
			return from_json(raw).end
		except InvalidInput:
			return None
	return None


def stored_spans(conn: pymysql.Connection, since_min: int, now_utc: datetime) -> list[Span]:
	"""The stored intervals starting at or after `since_min`, oldest first, read in pages; one that cannot
	be read or that overlaps the one before it is skipped."""
	age = now_utc.timestamp() / 60 - since_min
	since_site = site_now(conn) - timedelta(minutes=age)
	spans: list[Span] = []
	for offset in range(0, MAX_ROWS, PAGE):
		page = rows(conn, STORED_SQL, (since_site, PAGE, offset))
		for (raw,) in page:
			try:
				span = from_json(raw)
			except InvalidInput as exc:
				logger.warning("a snapshot's job statistics are unreadable: %s", exc)
				continue
			if span.start >= since_min and (not spans or span.start >= spans[-1].end):
				spans.append(span)
		if len(page) < PAGE:
			break
	return spans
