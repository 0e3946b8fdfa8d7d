"""Reading the per-minute aggregates back: one MGET for a span of minutes, never more than Redis keeps."""

import json
import logging
from dataclasses import dataclass

import redis

from perf_engine.core.errors import InvalidInput
from perf_engine.core.jobstats.aggregate import JobAggregate, check
from perf_engine.core.jobstats.keys import MINUTE, RETAIN_MINUTES

logger = logging.getLogger(__name__)


@dataclass
class Span:
	"""Job statistics of the minutes [start, end) (epoch minutes): one minute from Redis, or a snapshot's
	interval from the site's database, as `aggregate.check` read them (so they are added without copies)."""

	start: int
	end: int
	stored: dict

	@classmethod
	def of(cls, start: int, end: int, aggregate: JobAggregate) -> "Span":
		return cls(start, end, check(aggregate.to_json()))

	def aggregate(self, site: str | None = None) -> JobAggregate:
		"""Its jobs (one site's when given) and every queue's usage."""
		found = JobAggregate()
		found.add_checked(self.stored, site)
		return found

	def usage(self, queue: str) -> tuple[float, float]:
		"""The queue's workers' busy and available seconds in the span."""
		busy = available = 0.0
		for name, busy_s, available_s in self.stored["u"]:
			if name == queue:
				busy, available = busy + busy_s, available + available_s
		return busy, available


def read(connection: redis.Redis, first: int, last: int) -> list[Span]:
	"""The stored minutes first..last (at most RETAIN_MINUTES + 1 of them, the newest), skipping any that
	cannot be read."""
	first = max(first, last - RETAIN_MINUTES)
	numbers = list(range(first, last + 1))
	if not numbers:
		return []
	spans = []
	for minute, raw in zip(numbers, connection.mget([MINUTE.format(m) for m in numbers]), strict=True):
		if raw is None:
			continue
		try:
			spans.append(Span(minute, minute + 1, check(json.loads(raw))))
		except (ValueError, InvalidInput) as exc:
			logger.warning("job statistics of minute %s are unreadable: %s", minute, exc)
	return spans
