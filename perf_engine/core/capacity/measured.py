"""The measured capacity model: Little's law over what Frappe's monitor recorded.

Measures: peak arrival rate (busiest minute in the window) and mean service time of
requests and of background jobs; needed concurrency = peak rate x mean service time /
target utilisation, turned into gunicorn workers (gthread threads each) and RQ workers.
"""

import math

from perf_engine.core.capacity.model import GUNICORN_THREADS
from perf_engine.core.latency.monitor import SECONDS_PER_MINUTE, KindWindow, MonitorWindow

TARGET_UTILISATION = 0.7


def littles_law(recorded: KindWindow | None, target_utilisation: float = TARGET_UTILISATION) -> dict | None:
	"""Concurrency needed to serve the busiest minute at the target utilisation, or None with no data."""
	if not recorded or not recorded.samples:
		return None
	peak_rate_per_s = max(recorded.per_minute.values()) / SECONDS_PER_MINUTE
	mean_service_s = sum(recorded.durations) / recorded.samples
	needed = peak_rate_per_s * mean_service_s / target_utilisation
	return {
		"samples": recorded.samples,
		"peak_rate_per_s": peak_rate_per_s,
		"mean_service_s": mean_service_s,
		"target_utilisation": target_utilisation,
		"needed_concurrency": needed,
	}


def measured_model(window: MonitorWindow, target_utilisation: float = TARGET_UTILISATION) -> dict:
	"""Workers the measurements call for; each part says whether it had data."""
	requests = littles_law(window.kind("request"), target_utilisation)
	jobs = littles_law(window.kind("job"), target_utilisation)
	return {
		"requests": requests,
		"jobs": jobs,
		"gunicorn_workers": math.ceil(requests["needed_concurrency"] / GUNICORN_THREADS)
		if requests
		else None,
		"background_workers": math.ceil(jobs["needed_concurrency"]) if jobs else None,
		"missing": [part for part, found in (("requests", requests), ("jobs", jobs)) if not found],
		"log_truncated": window.truncated,
	}
