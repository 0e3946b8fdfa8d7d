"""Paginated job listings per queue and registry that load only the page asked for.

Without filters a page costs one range read and one fetch of `page_size` jobs, however
long the queue. A site filter reads ids only (Frappe puts the site in the job id); a
method filter loads jobs in batches of FILTER_BATCH until the page is full, so its cost
is bounded by how deep the page is, never by the whole registry.
"""

import redis
from rq.job import Job

from perf_engine.core.errors import InvalidInput
from perf_engine.core.jobs.job_details import describe
from perf_engine.core.jobs.keys import LISTABLE, QUEUE, REGISTRIES, site_of, text

PAGE_SIZE = 20
MAX_PAGE_SIZE = 200
FILTER_BATCH = 500


def id_range(connection: redis.Redis, rq_queue: str, registry: str, start: int, stop: int) -> list[str]:
	"""Job ids at positions start..stop: queue order for queued, newest first for registries."""
	if registry == "queued":
		ids = connection.lrange(QUEUE.format(rq_queue), start, stop)
	else:
		ids = connection.zrevrange(REGISTRIES[registry].format(rq_queue), start, stop)
	return [text(i) for i in ids]


def total(connection: redis.Redis, rq_queue: str, registry: str) -> int:
	if registry == "queued":
		return connection.llen(QUEUE.format(rq_queue))
	return connection.zcard(REGISTRIES[registry].format(rq_queue))


def list_jobs(
	connection: redis.Redis,
	rq_queue: str,
	registry: str = "queued",
	page: int = 1,
	page_size: int = PAGE_SIZE,
	site: str | None = None,
	method: str | None = None,
) -> dict:
	"""One page of jobs, optionally only one site's or one method's."""
	if registry not in LISTABLE:
		raise InvalidInput(f"Unknown registry {registry!r}; choose one of {', '.join(LISTABLE)}")
	if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
		raise InvalidInput(f"Page must be 1 or more and page size between 1 and {MAX_PAGE_SIZE}")
	skip = (page - 1) * page_size
	if not site and not method:
		ids = id_range(connection, rq_queue, registry, skip, skip + page_size - 1)
		jobs = [describe(j) for j in Job.fetch_many(ids, connection=connection) if j]
		count = total(connection, rq_queue, registry)
		return {"jobs": jobs, "page": page, "total": count, "has_more": skip + page_size < count}
	matches, position, has_more = [], 0, False
	while True:
		ids = id_range(connection, rq_queue, registry, position, position + FILTER_BATCH - 1)
		position += FILTER_BATCH
		if site:
			ids = [i for i in ids if site_of(i) == site]
		for job in Job.fetch_many(ids, connection=connection) if ids else []:
			if job and (not method or describe(job)["method"] == method):
				matches.append(job)
		if len(matches) > skip + page_size:
			has_more = True
			break
		if position >= total(connection, rq_queue, registry):
			break
	page_jobs = [describe(j) for j in matches[skip : skip + page_size]]
	return {"jobs": page_jobs, "page": page, "total": None, "has_more": has_more}
