"""Where job statistics live in the queue Redis: perf_engine's own keys, beside RQ's, never RQ's.

Every key has a TTL or is bounded by what RQ itself keeps: minutes expire after RETAIN_MINUTES,
a registry's mirror holds only the entries the registry still holds, the worker baselines only
the workers registered now.
"""

PREFIX = "perf_engine:jobstats:"
# One minute's aggregate (JSON), by the minute's Unix epoch / 60.
MINUTE = PREFIX + "minute:{0}"
# Per RQ registry key: which (job id, registry score) pairs were already counted.
SEEN = PREFIX + "seen:{0}"
# Each worker's counters at the previous sample, for the busy time between two samples.
WORKER_BASELINES = PREFIX + "workers"
# Held while one process samples; left to expire after, so samples are at least this far apart.
SAMPLING_LOCK = PREFIX + "sampling"

MINUTE_S = 60
# Minutes are kept two hours: the hour window and its chart; older windows read the site's snapshots.
RETAIN_MINUTES = 120
RETAIN_S = RETAIN_MINUTES * MINUTE_S
# The mirrors and baselines outlive a quiet spell, not an abandoned bench.
STATE_TTL_S = 24 * 3600


def minute_of(epoch_s: float) -> int:
	"""The minute (epoch minutes) a moment falls in."""
	return int(epoch_s // MINUTE_S)
