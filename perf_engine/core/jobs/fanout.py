"""Chunked fan-out over a large table: one job per chunk of names, found by keyset pagination.

Chunks are bounded by `name > after AND name <= upto`, read with `WHERE name > %s ORDER BY
name LIMIT n` on the primary key, never OFFSET, so the thousandth chunk costs what the
first does. The job ids are kept under one fan-out id the caller polls for progress.
"""

import uuid
from collections.abc import Callable, Iterator

import pymysql
import redis
from rq.job import JobStatus

from perf_engine.core.errors import InvalidInput
from perf_engine.core.jobs.keys import JOB, text

FANOUT_KEY = "perf_engine:fanout:{0}"
FANOUT_TTL_S = 7 * 24 * 3600
MAX_CHUNK_SIZE = 100_000
PROGRESS_PAGE = 1000  # job ids read per LRANGE when counting progress


def check_table(conn: pymysql.Connection, table: str) -> str:
	"""The table's exact name from information_schema; input is never trusted as an identifier."""
	with conn.cursor() as cur:
		cur.execute(
			"SELECT table_name FROM information_schema.TABLES WHERE table_schema = DATABASE() AND table_name = %s",
			(table,),
		)
		row = cur.fetchone()
	if not row:
		raise InvalidInput(f"No table named {table!r} in this database")
	return row[0]


def chunks(conn: pymysql.Connection, table: str, chunk_size: int) -> Iterator[tuple[str | None, str]]:
	"""(after, upto) name bounds of consecutive chunks covering the whole table once."""
	if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
		raise InvalidInput(f"Chunk size must be between 1 and {MAX_CHUNK_SIZE}")
	table = check_table(conn, table)
	after = None
	while True:
		with conn.cursor() as cur:
			if after is None:
				cur.execute(f"SELECT name FROM `{table}` ORDER BY name LIMIT %s", (chunk_size,))
			else:
				cur.execute(
					f"SELECT name FROM `{table}` WHERE name > %s ORDER BY name LIMIT %s", (after, chunk_size)
				)
			names = cur.fetchall()
		if not names:
			return
		upto = names[-1][0]
		yield after, upto
		after = upto


def fan_out(
	conn: pymysql.Connection,
	queue_conn: redis.Redis,
	table: str,
	chunk_size: int,
	enqueue_chunk: Callable[[str | None, str], str],
) -> dict:
	"""Enqueue one job per chunk through `enqueue_chunk(after, upto) -> job id`; returns the fan-out id."""
	job_ids = [enqueue_chunk(after, upto) for after, upto in chunks(conn, table, chunk_size)]
	fanout_id = uuid.uuid4().hex
	key = FANOUT_KEY.format(fanout_id)
	with queue_conn.pipeline() as pipe:
		if job_ids:
			pipe.rpush(key, *job_ids)
		pipe.expire(key, FANOUT_TTL_S)
		pipe.execute()
	return {"fanout_id": fanout_id, "job_ids": job_ids, "chunks": len(job_ids)}


def progress(queue_conn: redis.Redis, fanout_id: str) -> dict:
	"""How many of a fan-out's chunk jobs finished, failed or are still pending.

	The job ids are read a page at a time and only each job's status field is fetched, so a
	fan-out of any size costs bounded memory. A job whose hash is gone had finished (or
	failed) long enough ago for RQ to expire it; it counts as done, reported separately as expired."""
	key = FANOUT_KEY.format(fanout_id)
	statuses = [status for page in _job_id_pages(queue_conn, key) for status in _statuses(queue_conn, page)]
	if not statuses and not queue_conn.exists(key):
		raise InvalidInput(f"No fan-out with id {fanout_id!r}: it may have expired")
	finished = statuses.count(JobStatus.FINISHED.value)
	failed = statuses.count(JobStatus.FAILED.value)
	expired = statuses.count(None)
	total = len(statuses)
	done = finished + failed + expired
	return {
		"total": total,
		"finished": finished,
		"failed": failed,
		"expired": expired,
		"pending": total - done,
		"progress": round(done / total, 4) if total else 1.0,
	}


def _job_id_pages(queue_conn: redis.Redis, key: str) -> Iterator[list[str]]:
	"""The fan-out's job ids, PROGRESS_PAGE at a time: never the whole list in one reply."""
	start = 0
	while page := queue_conn.lrange(key, start, start + PROGRESS_PAGE - 1):
		yield [text(job_id) for job_id in page]
		start += PROGRESS_PAGE


def _statuses(queue_conn: redis.Redis, job_ids: list[str]) -> list[str | None]:
	"""Each job's RQ status in one round trip, None for a job RQ has expired."""
	with queue_conn.pipeline(transaction=False) as pipe:
		for job_id in job_ids:
			pipe.hget(JOB.format(job_id), "status")
		return [text(status) for status in pipe.execute()]
