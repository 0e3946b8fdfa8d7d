"""Who and what a job is: method and site, from Frappe's job kwargs or RQ's function name."""

from rq.job import Job

from perf_engine.core.jobs.keys import site_of


def method_of(job: Job) -> str:
	"""Frappe wraps every job in execute_job(method=..., job_type=... for scheduled ones)."""
	kwargs = job.kwargs or {}
	method = kwargs.get("job_type") or kwargs.get("job_name") or kwargs.get("method")
	if method is None:
		return job.func_name
	return method if isinstance(method, str) else f"{method.__module__}.{method.__qualname__}"


def describe(job: Job) -> dict:
	"""The fields listings and findings show for a job."""
	return {
		"job_id": job.id,
		"method": method_of(job),
		"site": (job.kwargs or {}).get("site") or site_of(job.id),
		"status": job.get_status(refresh=False),
		"queue": job.origin,
		"worker": job.worker_name,
		"enqueued_at": job.enqueued_at,
		"started_at": job.started_at,
		"ended_at": job.ended_at,
		"timeout": job.timeout,
	}
