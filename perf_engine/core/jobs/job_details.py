"""Who and what a job is: method and site, from Frappe's job kwargs or RQ's description.

Outside a bench Frappe's job payloads cannot be unpickled (they reference Frappe's code),
so the method falls back to the job's plain-text description, which RQ stores beside it.
"""

from rq.exceptions import DeserializationError
from rq.job import Job

from perf_engine.core.jobs.keys import site_of

# Frappe's execute_job kwargs that name the work, most specific first. Scheduled jobs run
# run_scheduled_job with the real method as job_type inside the inner `kwargs` dict.
METHOD_KWARGS = ("job_name", "method")
SCHEDULED_KWARG = "job_type"
DESCRIPTION_MARKERS = (f"'{SCHEDULED_KWARG}': '", *(f"{name}='" for name in METHOD_KWARGS))


def from_description(description: str) -> str:
	"""`execute_job(job_name='app.task', ...)` -> 'app.task'; else the function name."""
	for marker in DESCRIPTION_MARKERS:
		if marker in description:
			return description.split(marker, 1)[1].split("'", 1)[0]
	return description.split("(", 1)[0]


def method_of(job: Job) -> str:
	"""Frappe wraps every job in execute_job(method=..., kwargs={job_type: ...} for scheduled ones)."""
	try:
		kwargs = job.kwargs or {}
		func_name = job.func_name
	except DeserializationError:
		return from_description(job.description or "")
	inner = kwargs.get("kwargs")
	if isinstance(inner, dict) and isinstance(inner.get(SCHEDULED_KWARG), str):
		return inner[SCHEDULED_KWARG]
	method = next((kwargs[name] for name in METHOD_KWARGS if kwargs.get(name)), None)
	if method is None:
		return func_name
	return method if isinstance(method, str) else f"{method.__module__}.{method.__qualname__}"


def describe(job: Job) -> dict:
	"""The fields listings and findings show for a job."""
	return {
		"job_id": job.id,
		"method": method_of(job),
		"site": site_of(job.id),
		"status": job.get_status(refresh=False),
		"queue": job.origin,
		"worker": job.worker_name,
		"enqueued_at": job.enqueued_at,
		"started_at": job.started_at,
		"ended_at": job.ended_at,
		"timeout": job.timeout,
	}
