"""RQ's Redis key names, taken from rq 1.15's own constants and read without loading RQ objects, and
the keys perf_engine keeps beside them in the queue Redis."""

from datetime import datetime, timezone

from rq.job import Job
from rq.queue import Queue
from rq.registry import (
	CanceledJobRegistry,
	DeferredJobRegistry,
	FailedJobRegistry,
	FinishedJobRegistry,
	ScheduledJobRegistry,
	StartedJobRegistry,
)
from rq.utils import as_text, utcparse
from rq.worker import Worker
from rq.worker_registration import REDIS_WORKER_KEYS, WORKERS_BY_QUEUE_KEY

QUEUE = Queue.redis_queue_namespace_prefix + "{0}"
JOB = Job.redis_job_namespace_prefix + "{0}"
WORKER = Worker.redis_worker_namespace_prefix + "{0}"
WORKERS = REDIS_WORKER_KEYS  # a set of every registered worker's key
WORKERS_BY_QUEUE = WORKERS_BY_QUEUE_KEY.replace(
	"%s", "{0}"
)  # a set of worker keys (rq:worker:NAME), not names
REGISTRIES = {
	"started": StartedJobRegistry.key_template,
	"failed": FailedJobRegistry.key_template,
	"deferred": DeferredJobRegistry.key_template,
	"scheduled": ScheduledJobRegistry.key_template,
	"finished": FinishedJobRegistry.key_template,
	"canceled": CanceledJobRegistry.key_template,
}
LISTABLE = ("queued", *REGISTRIES)
# perf_engine's own memory of where each worker ran its last job (core/jobs/worker_hosts.py):
# a hash of worker name -> JSON record, and a sorted set of worker name -> when to forget it.
WORKER_HOSTS = "perf_engine:jobs:worker_hosts"
WORKER_HOSTS_FORGET_AT = "perf_engine:jobs:worker_hosts:forget_at"
# Bench-wide work's turn (core/jobs/scheduled.py): a string with a TTL, held by the first site's tick.
BENCH_PROMOTE = "perf_engine:bench:promote"


def text(value: bytes | str | None) -> str | None:
	return None if value is None else as_text(value)


def parse_time(value: bytes | str | None) -> datetime | None:
	"""RQ stores UTC timestamps as '2026-11-22T12:00:00.123456Z'."""
	value = text(value)
	if not value:
		return None
	return utcparse(value).replace(tzinfo=timezone.utc)


def worker_name(key: bytes | str) -> str:
	"""'rq:worker:NAME' -> 'NAME'."""
	return text(key).removeprefix(Worker.redis_worker_namespace_prefix)


def site_of(job_id: str) -> str | None:
	"""Frappe names jobs '<site>::<id>'; other jobs have no site."""
	site, sep, _ = job_id.partition("::")
	return site if sep else None
