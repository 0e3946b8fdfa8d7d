"""Mergeable latency histograms: what a snapshot stores so day and week percentiles can be added up.

Percentiles cannot be averaged, but bucket counts can be summed. Buckets are log-spaced, four
per doubling from 1 ms (each bound 2^(1/4), about 19 %, above the previous) up to 4,194 s, plus
one overflow bucket; a percentile read from buckets is the upper bound of the bucket holding
its rank, so it is exact to a bucket: at most 19 % above the true value, never below it.
Prometheus gets every fourth bound (1 ms, 2 ms, 4 ms, ... 4,194 s), each an exact cumulative count.
"""

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import accumulate
from operator import add

from perf_engine.core.errors import InvalidInput
from perf_engine.core.latency.percentiles import nearest_rank

FIRST_BOUND_S = 0.001
BOUNDS_PER_DOUBLING = 4
DOUBLINGS = 22
BOUNDS_S = tuple(
	FIRST_BOUND_S * 2 ** (k / BOUNDS_PER_DOUBLING) for k in range(DOUBLINGS * BOUNDS_PER_DOUBLING + 1)
)
OVERFLOW = len(BOUNDS_S)
BUCKETS = OVERFLOW + 1
PROMETHEUS_BOUNDS = tuple(range(0, len(BOUNDS_S), BOUNDS_PER_DOUBLING))


@dataclass
class Histogram:
	"""Counts per bucket (a dense list, index = bucket), the number of samples and their sum in seconds.

	Stored as the list up to its last non-empty bucket, so a week of snapshots merges with
	C-level list sums rather than one Python step per bucket."""

	counts: list[int] = field(default_factory=lambda: [0] * BUCKETS)
	count: int = 0
	sum_s: float = 0.0

	@classmethod
	def of(cls, durations_s: Iterable[float]) -> "Histogram":
		histogram = cls()
		for duration in durations_s:
			histogram.add(duration)
		return histogram

	def add(self, duration_s: float) -> None:
		self.counts[bisect_left(BOUNDS_S, duration_s)] += 1
		self.count += 1
		self.sum_s += duration_s

	def merge(self, other: "Histogram") -> None:
		self.counts = list(map(add, self.counts, other.counts))
		self.count += other.count
		self.sum_s += other.sum_s

	def percentile(self, pct: float) -> float:
		"""Upper bound (s) of the bucket holding the nearest rank; the overflow bucket reads as the last bound."""
		rank = nearest_rank(pct, self.count)
		index = bisect_left(list(accumulate(self.counts)), rank)
		return BOUNDS_S[min(index, OVERFLOW - 1)]

	def cumulative(self) -> list[tuple[str, int]]:
		"""Prometheus buckets: (le, samples at or below it) for every fourth bound, then +Inf."""
		running = list(accumulate(self.counts))
		return [(f"{BOUNDS_S[i]:.6g}", running[i]) for i in PROMETHEUS_BOUNDS] + [("+Inf", self.count)]

	def to_json(self) -> dict:
		used = next((i + 1 for i in range(BUCKETS - 1, -1, -1) if self.counts[i]), 0)
		return {"c": self.counts[:used], "n": self.count, "s": self.sum_s}

	@classmethod
	def from_json(cls, stored: dict) -> "Histogram":
		"""A stored histogram; too many buckets, negative or fractional counts or a wrong total are refused."""
		try:
			counts, count, sum_s = list(stored["c"]), int(stored["n"]), float(stored["s"])
			total = sum(counts)
		except (KeyError, TypeError, ValueError) as exc:
			raise InvalidInput(f"Not a stored latency histogram: {exc}") from exc
		# A float anywhere makes the sum a float: counts are whole numbers.
		if len(counts) > BUCKETS or (counts and min(counts) < 0) or type(total) is not int or total != count:
			raise InvalidInput("A stored latency histogram has too many buckets or a wrong count")
		return cls(counts + [0] * (BUCKETS - len(counts)), count, sum_s)
