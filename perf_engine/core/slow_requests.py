"""Which request paths took over 500 ms in the last hour, from Frappe's monitor (bounded as it is read).

Reads the same sources, in the same bounded pages, as `monitor.read_window`; besides each
kind's durations it counts, per path, the requests over the limit and the slowest one,
keeping at most MAX_PATHS paths so memory stays bounded whatever the traffic.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import redis

from perf_engine.core import monitor

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

	def summary(self, monitor_on: bool) -> dict:
		"""Requests and slow requests in the window, slow paths most frequent first."""
		requests = self.kind(REQUEST)
		ranked = sorted(self.paths.items(), key=lambda item: (-item[1].count, -item[1].max_s))
		return {
			"monitor_on": monitor_on,
			"window_min": WINDOW.total_seconds() / 60,
			"requests": requests.samples if requests else 0,
			"slow": sum(path.count for path in self.paths.values()),
			"slow_paths": [{"path": name, "count": p.count, "max_s": p.max_s} for name, p in ranked],
			"log_truncated": self.truncated,
		}


def read(
	client: redis.Redis | None,
	prefix: str,
	log_file: str | None,
	site: str | None,
	monitor_on: bool,
	now: datetime | None = None,
) -> dict:
	"""This site's slow requests of the last hour from its Redis list and the bench's monitor log."""
	measured = SlowRequestWindow((now or datetime.now(timezone.utc)) - WINDOW)
	in_redis = monitor.read_redis(client, prefix, measured) if client is not None and prefix else {}
	if log_file and site:
		monitor.read_log(log_file, site, measured, in_redis)
	return measured.summary(monitor_on)
