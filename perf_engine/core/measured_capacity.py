"""The measured capacity model: Little's law over what Frappe's monitor recorded.

Measures: peak arrival rate (busiest minute in the window) and mean service time of
requests and of background jobs; needed concurrency = peak rate x mean service time /
target utilisation, turned into gunicorn workers (gthread threads each) and RQ workers.
"""

import math
from collections import Counter

from perf_engine.core.capacity import GUNICORN_THREADS
from perf_engine.core.monitor import Transaction

TARGET_UTILISATION = 0.7
SECONDS_PER_MINUTE = 60


def littles_law(
	transactions: list[Transaction], target_utilisation: float = TARGET_UTILISATION
) -> dict | None:
	"""Concurrency needed to serve the busiest minute at the target utilisation, or None with no data."""
	if not transactions:
		return None
	per_minute = Counter(t.at.replace(second=0, microsecond=0) for t in transactions)
	peak_rate_per_s = max(per_minute.values()) / SECONDS_PER_MINUTE
	mean_service_s = sum(t.duration_s for t in transactions) / len(transactions)
	needed = peak_rate_per_s * mean_service_s / target_utilisation
	return {
		"samples": len(transactions),
		"peak_rate_per_s": peak_rate_per_s,
		"mean_service_s": mean_service_s,
		"target_utilisation": target_utilisation,
		"needed_concurrency": needed,
	}


def measured_model(transactions: list[Transaction], target_utilisation: float = TARGET_UTILISATION) -> dict:
	"""Workers the measurements call for; each part says whether it had data."""
	requests = littles_law([t for t in transactions if t.kind == "request"], target_utilisation)
	jobs = littles_law([t for t in transactions if t.kind == "job"], target_utilisation)
	return {
		"requests": requests,
		"jobs": jobs,
		"gunicorn_workers": math.ceil(requests["needed_concurrency"] / GUNICORN_THREADS)
		if requests
		else None,
		"background_workers": math.ceil(jobs["needed_concurrency"]) if jobs else None,
		"missing": [part for part, found in (("requests", requests), ("jobs", jobs)) if not found],
	}
