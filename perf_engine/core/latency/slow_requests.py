"""Which request paths took over 500 ms in the last hour, from Frappe's monitor (bounded as it is read).

Reads the same sources, in the same bounded pages, as `monitor.read_window`; besides each
kind's durations it counts, per path, the requests over the limit and the slowest one,
keeping at most MAX_PATHS paths so memory stays bounded whatever the traffic. An operator
may narrow the window to the requests since a moment of the last hour (a deploy that moved
slow work to jobs), so what came before it no longer counts.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

import redis

from perf_engine.core.errors import InvalidInput
from perf_engine.core.latency import monitor

SLOW_REQUEST_S = 0.5
WINDOW = timedelta(hours=1)
MAX_PATHS = 1000
REQUEST = "request"


@dataclass
class SlowPath:
	count: int = 0
	max_s: float = 0.0


class SlowRequestWindow(monitor.MonitorWindow):
	"""A monitor window that also remembers which request paths were slow."""

	def __init__(self, since: datetime, limit_s: float = SLOW_REQUEST_S):
		super().__init__(since)
		self.limit_s = limit_s
		self.paths: dict[str, SlowPath] = {}

	def add(self, transaction: monitor.Transaction) -> None:
		super().add(transaction)
		if (
			transaction.at < self.since
			or transaction.kind != REQUEST
			or transaction.duration_s <= self.limit_s
		):
			return
		path = self.paths.get(transaction.name)
		if path is None:
			if len(self.paths) >= MAX_PATHS:
				return
			path = self.paths[transaction.name] = SlowPath()
		path.count += 1
		path.max_s = max(path.max_s, transaction.duration_s)

	def summary(self, monitor_on: bool, since: datetime | None) -> dict:
		"""Requests and slow requests in the window, slow paths most frequent first."""
		requests = self.kind(REQUEST)
		ranked = sorted(self.paths.items(), key=lambda item: (-item[1].count, -item[1].max_s))
		return {
			"monitor_on": monitor_on,
			"window_min": WINDOW.total_seconds() / 60,
			"since": since.isoformat(timespec="seconds") if since else None,
			"requests": requests.samples if requests else 0,
			"slow": sum(path.count for path in self.paths.values()),
			"slow_paths": [{"path": name, "count": p.count, "max_s": p.max_s} for name, p in ranked],
			"log_truncated": self.truncated,
		}


def parse_since(text: str, zone: tzinfo | None, now: datetime) -> datetime:
	"""An ISO date-time, in `zone` (this machine's when None) unless it names its own, as UTC; it must not be
	in the future. InvalidInput otherwise."""
	try:
		since = datetime.fromisoformat(text.strip())
	except ValueError:
		raise InvalidInput(
			f"requests since: {text!r} is not an ISO date-time like 2026-11-23T14:00 or 2026-11-23 14:00:00+01:00"
		) from None
	if since.tzinfo is None:
		since = since.replace(tzinfo=zone) if zone else since.astimezone()
	since = since.astimezone(timezone.utc)
	if since > now:
		raise InvalidInput(f"requests since: {text!r} is in the future")
	return since


def read(
	client: redis.Redis | None,
	prefix: str,
	log_file: str | None,
	site: str | None,
	monitor_on: bool,
	now: datetime | None = None,
	since: datetime | None = None,
) -> dict:
	"""This site's slow requests of the last hour, or only those since `since` when it is later, from its
	Redis list and the bench's monitor log."""
	start = (now or datetime.now(timezone.utc)) - WINDOW
	narrowed = since if since is not None and since > start else None
	measured = SlowRequestWindow(narrowed or start)
	in_redis = monitor.read_redis(client, prefix, measured) if client is not None and prefix else {}
	if log_file and site:
		monitor.read_log(log_file, site, measured, in_redis)
	return measured.summary(monitor_on, narrowed)
