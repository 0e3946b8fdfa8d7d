"""The nearest-rank rule every percentile in perf_engine follows: raw values, buckets or a load's histogram."""

import math

from perf_engine.core.errors import InvalidInput

PERCENT = 100


def nearest_rank(pct: float, count: int) -> int:
	"""The 1-based rank of the pct-th percentile among `count` ordered values (the smallest value with
	at least pct % of the values at or below it)."""
	if count <= 0:
		raise InvalidInput("A percentile needs at least one value")
	return max(1, math.ceil(pct / PERCENT * count))
