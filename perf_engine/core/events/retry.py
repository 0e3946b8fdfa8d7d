"""When a failed delivery is tried again: exponential backoff from one minute, capped at an hour.

Frappe's workers run no RQ scheduler, so a retry waits in RQ's scheduled registry until
`perf_engine.core.jobs.scheduled.promote_due` (a minute tick) moves it to its queue: the
real delay is the backoff rounded up to the next tick.
"""

from perf_engine.core.errors import InvalidInput

BACKOFF_BASE_S = 60
BACKOFF_CAP_S = 3600


def backoff_s(failed_attempt: int, base_s: int = BACKOFF_BASE_S, cap_s: int = BACKOFF_CAP_S) -> int:
	"""Seconds to wait after the n-th failed attempt: base, 2x base, 4x base ... never above the cap."""
	if failed_attempt < 1:
		raise InvalidInput(f"Attempts are counted from 1, got {failed_attempt}")
	return min(cap_s, base_s * 2 ** min(failed_attempt - 1, 32))


def should_retry(failed_attempt: int, attempts: int) -> bool:
	"""Whether a delivery that failed on this attempt has attempts left."""
	return failed_attempt < attempts
