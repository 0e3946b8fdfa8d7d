"""Resident memory of a bench's web and worker processes, read with psutil.

Measures: the largest RSS among gunicorn workers serving `frappe.app` and among RQ
worker processes (`frappe` workers or plain `rq worker`), in MB; None where none runs.
"""

from collections.abc import Callable

import psutil

MB = 1024 * 1024
WEB_MARKERS = ("frappe.app:application",)
WORKER_MARKERS = ("frappe.utils.bench_helper frappe worker", "rq worker", "rq:job", "rq:worker")


def largest_rss_mb(matches: Callable[[str], bool]) -> float | None:
	"""The biggest RSS among processes whose command line matches, in MB."""
	sizes = []
	for process in psutil.process_iter(["cmdline", "memory_info"]):
		cmdline = " ".join(process.info.get("cmdline") or [])
		if cmdline and process.info.get("memory_info") and matches(cmdline):
			sizes.append(process.info["memory_info"].rss / MB)
	return round(max(sizes), 1) if sizes else None


def bench_memory() -> dict[str, float | None]:
	"""Memory figures keyed by the threshold they are checked against."""
	return {
		"request_memory": largest_rss_mb(lambda cmd: any(m in cmd for m in WEB_MARKERS)),
		"background_job_memory": largest_rss_mb(lambda cmd: any(m in cmd for m in WORKER_MARKERS)),
	}
