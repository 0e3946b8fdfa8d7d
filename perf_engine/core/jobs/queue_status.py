"""Queue status at a glance, read from list and sorted-set sizes in one pipeline.

Measures per queue: queued, started, failed, deferred, scheduled and finished counts, the
age of the oldest queued job, and the workers listening (total, busy, idle, utilisation).
Never calls RQ's `registry.count`, which runs a cleanup that moves jobs and fires
callbacks: a status read changes nothing.
"""

from datetime import datetime, timezone

import redis

from perf_engine.core.jobs.keys import JOB, QUEUE, REGISTRIES, WORKERS_BY_QUEUE, parse_time, text
from perf_engine.core.jobs.workers import alive_by_queue

COUNTED = ("started", "failed", "deferred", "scheduled", "finished")


def queue_status(connection: redis.Redis, queues: dict[str, str], now: datetime | None = None) -> list[dict]:
	"""One row per queue; `queues` maps the name people use to the RQ queue name."""
	now = now or datetime.now(timezone.utc)
	with connection.pipeline(transaction=False) as pipe:
		for rq_name in queues.values():
			pipe.llen(QUEUE.format(rq_name))
			for registry in COUNTED:
				pipe.zcard(REGISTRIES[registry].format(rq_name))
			pipe.lindex(QUEUE.format(rq_name), 0)
			pipe.smembers(WORKERS_BY_QUEUE.format(rq_name))
		replies = pipe.execute()
	per_queue = len(COUNTED) + 3
	rows = []
	for index, (name, rq_name) in enumerate(queues.items()):
		reply = replies[index * per_queue : (index + 1) * per_queue]
		counts = dict(zip(("queued", *COUNTED), reply[: len(COUNTED) + 1], strict=True))
		rows.append(
			{
				"queue": name,
				"rq_name": rq_name,
				**counts,
				"oldest_job_id": text(reply[-2]),
				"worker_keys": reply[-1],
			}
		)
	add_oldest_ages(connection, rows, now)
	add_workers(connection, rows, now)
	return rows


def add_oldest_ages(connection: redis.Redis, rows: list[dict], now: datetime) -> None:
	"""Age of each queue's head job, from its enqueued_at field alone."""
	with connection.pipeline(transaction=False) as pipe:
		for row in rows:
			pipe.hget(JOB.format(row["oldest_job_id"] or ""), "enqueued_at")
		enqueued = pipe.execute()
	for row, at in zip(rows, enqueued, strict=True):
		at = parse_time(at)
		row["oldest_queued_age_s"] = round((now - at).total_seconds(), 1) if at and row["queued"] else None


def add_workers(connection: redis.Redis, rows: list[dict], now: datetime) -> None:
	"""Live workers per queue, busy or idle, and the share of them busy."""
	alive_in = alive_by_queue(connection, {row["queue"]: row.pop("worker_keys") for row in rows}, now)
	for row in rows:
		alive = alive_in[row["queue"]]
		busy = sum(1 for w in alive if w.state == "busy")
		row["workers"] = {"total": len(alive), "busy": busy, "idle": len(alive) - busy}
		row["workers"]["names"] = [w.name for w in alive]
		row["utilisation"] = round(busy / len(alive), 2) if alive else None
