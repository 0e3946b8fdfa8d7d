"""Paginated job listings per queue and registry that load only the page asked for.

Cost, for a queue or registry of N jobs and a page ending at position P:
- no filter: one range read of the page's ids and one fetch of `page_size` jobs, whatever N;
- site filter: ids only, read in batches of FILTER_BATCH (Frappe puts the site in the job id);
- method filter: per batch one pipeline of HMGET of the payload and description only
  (never results, tracebacks or metadata), and only the page's matching jobs are loaded in full.
Filtered reads stop as soon as the page and one match beyond it are found, so they touch
about P / (share of matching jobs) ids, never the whole registry unless the page is that deep.
"""

import redis
from rq.job import Job

from perf_engine.core.errors import InvalidInput
from perf_engine.core.jobs.job_details import describe, method_of
from perf_engine.core.jobs.keys import JOB, LISTABLE, QUEUE, REGISTRIES, site_of, text

PAGE_SIZE = 20
MAX_PAGE_SIZE = 200
FILTER_BATCH = 500
# What method_of reads: Frappe's kwargs from the payload, or the description outside a bench.
METHOD_FIELDS = ("data", "description")


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


def methods_of(connection: redis.Redis, ids: list[str]) -> list[str | None]:
	"""Each job's method as listings show it, from its payload and description alone; None if gone."""
	with connection.pipeline(transaction=False) as pipe:
		for job_id in ids:
			pipe.hmget(JOB.format(job_id), *METHOD_FIELDS)
		replies = pipe.execute()
	methods = []
	for job_id, (data, description) in zip(ids, replies, strict=True):
		if data is None:
			methods.append(None)
			continue
		job = Job(job_id, connection=connection)
		job.restore({"data": data, "description": description})
		methods.append(method_of(job))
	return methods


def matching_ids(
	connection: redis.Redis, rq_queue: str, registry: str, wanted: int, site: str | None, method: str | None
) -> tuple[list[str], bool]:
	"""The first `wanted` matching ids in listing order, and whether more match beyond them."""
	matches, position, count = [], 0, total(connection, rq_queue, registry)
	while position < count and len(matches) <= wanted:
		ids = id_range(connection, rq_queue, registry, position, position + FILTER_BATCH - 1)
		position += FILTER_BATCH
		if site:
			ids = [i for i in ids if site_of(i) == site]
		if method and ids:
			ids = [i for i, m in zip(ids, methods_of(connection, ids), strict=True) if m == method]
		matches += ids
	return matches[:wanted], len(matches) > wanted


def list_jobs(
	connection: redis.Redis,
	rq_queue: str,
	registry: str = "queued",
	page: int = 1,
	page_size: int = PAGE_SIZE,
	site: str | None = None,
	method: str | None = None,
) -> dict:
	"""One page of jobs, optionally only one site's or one method's; filtered pages have no total."""
	if registry not in LISTABLE:
		raise InvalidInput(f"Unknown registry {registry!r}; choose one of {', '.join(LISTABLE)}")
	if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
		raise InvalidInput(f"Page must be 1 or more and page size between 1 and {MAX_PAGE_SIZE}")
	skip = (page - 1) * page_size
	if site or method:
		ids, has_more = matching_ids(connection, rq_queue, registry, skip + page_size, site, method)
		ids, count = ids[skip:], None
	else:
		ids = id_range(connection, rq_queue, registry, skip, skip + page_size - 1)
		count = total(connection, rq_queue, registry)
		has_more = skip + page_size < count
	jobs = [describe(j) for j in Job.fetch_many(ids, connection=connection) if j] if ids else []
	return {"jobs": jobs, "page": page, "total": count, "has_more": has_more}
