"""Latency histograms stored sparse: only the run of buckets from the first to the last used one.

A minute's job run times or queue waits use a handful of neighbouring buckets of the SLA's
mergeable histogram (`core.latency.histogram`), so storing [first bucket, counts, sum] keeps a
minute's aggregate small, and adding it to a window's histogram touches only those buckets.
"""

import math
from operator import add

from perf_engine.core.errors import InvalidInput
from perf_engine.core.latency.histogram import BUCKETS, Histogram


def sparse(histogram: Histogram) -> list:
	"""[index of the first used bucket, counts up to the last used one, sum of seconds]."""
	used = [i for i, count in enumerate(histogram.counts) if count]
	if not used:
		return [0, [], 0.0]
	return [used[0], histogram.counts[used[0] : used[-1] + 1], round(histogram.sum_s, 6)]


Checked = tuple[int, list[int], int, float]  # first bucket, counts, their total, sum of seconds


def checked(stored: object) -> Checked:
	"""A stored sparse histogram, checked: anything malformed raises InvalidInput."""
	try:
		first, counts, sum_s = stored
		first, sum_s = int(first), float(sum_s)
		counts = list(counts)
		total = sum(counts)
	except (TypeError, ValueError) as exc:
		raise InvalidInput(f"Not a stored job histogram: {exc}") from exc
	# A float anywhere makes the sum a float: counts are whole numbers.
	if (
		not (math.isfinite(sum_s) and sum_s >= 0)
		or first < 0
		or first + len(counts) > BUCKETS
		or type(total) is not int
		or (counts and min(counts) < 0)
	):
		raise InvalidInput("A stored job histogram has buckets out of range or counts that are not whole")
	return first, counts, total, sum_s


def add_checked(histogram: Histogram, stored: Checked) -> None:
	"""Add a checked sparse histogram: only its buckets are touched."""
	first, counts, total, sum_s = stored
	end = first + len(counts)
	histogram.counts[first:end] = map(add, histogram.counts[first:end], counts)
	histogram.count += total
	histogram.sum_s += sum_s


def add_sparse(histogram: Histogram, stored: object) -> None:
	"""Add a stored sparse histogram into `histogram`; anything malformed is refused before it is added."""
	add_checked(histogram, checked(stored))
