"""RQ's Redis key names, as rq 1.15/1.16 write them, read without loading RQ objects."""

from datetime import datetime, timezone

QUEUE = "rq:queue:{0}"
JOB = "rq:job:{0}"
WORKER = "rq:worker:{0}"
WORKERS_BY_QUEUE = "rq:workers:{0}"  # a set of worker keys (rq:worker:NAME), not names
REGISTRIES = {
	"started": "rq:wip:{0}",
	"failed": "rq:failed:{0}",
	"deferred": "rq:deferred:{0}",
	"scheduled": "rq:scheduled:{0}",
	"finished": "rq:finished:{0}",
	"canceled": "rq:canceled:{0}",
}
LISTABLE = ("queued", *REGISTRIES)
RQ_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def text(value: bytes | str | None) -> str | None:
	return value.decode() if isinstance(value, bytes) else value


def parse_time(value: bytes | str | None) -> datetime | None:
	"""RQ stores UTC timestamps as '2026-11-22T12:00:00.123456Z'."""
	value = text(value)
	if not value:
		return None
	return datetime.strptime(value, RQ_TIME_FORMAT).replace(tzinfo=timezone.utc)


def site_of(job_id: str) -> str | None:
	"""Frappe names jobs '<site>::<id>'; other jobs have no site."""
	site, sep, _ = job_id.partition("::")
	return site if sep else None
