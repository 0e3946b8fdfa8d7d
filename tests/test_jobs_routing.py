"""Routing by expected duration, the enqueue wrapper, and chunked fan-out over a real table."""

import time

import pytest
from rq.job import Job, JobStatus

from perf_engine.core.errors import InvalidInput
from perf_engine.core.jobs import fanout
from perf_engine.core.jobs.routing import enqueue_routed, route


@pytest.mark.parametrize(
	("estimate", "queues", "expected"),
	[
		(1, ("default", "short", "long"), ("short", 300)),
		(59.9, ("default", "short", "long"), ("short", 300)),
		(60, ("default", "short", "long"), ("default", 1500)),
		(299, ("default", "short", "long"), ("default", 1500)),
		(300, ("default", "short", "long"), ("long", 7200)),
		(3599, ("default", "short", "long"), ("long", 7200)),
		(3600, ("default", "short", "long", "heavy"), ("heavy", 7200)),
		(3600, ("default", "short", "long"), ("long", 7200)),
		(10_000, ("default", "short", "long", "heavy"), ("heavy", 20_000)),
	],
)
def test_route_by_expected_duration(estimate, queues, expected):
	"""Under 60 s short, under 300 s default, under 3600 s long, else heavy or long without heavy."""
	assert route(estimate, queues) == expected


def test_route_refuses_nonsense():
	"""A zero or negative estimate is refused."""
	with pytest.raises(InvalidInput, match="must be positive"):
		route(0, ("default",))


def wait_for_status(job: Job, status: str, timeout_s: float = 20) -> None:
	deadline = time.monotonic() + timeout_s
	while job.get_status(refresh=True) != status:
		assert time.monotonic() < deadline, f"job stayed {job.get_status()}"
		time.sleep(0.1)


def test_enqueue_wrapper_routes_times_out_and_retries(redis_client, start_worker, tmp_path):
	"""A 10 s job lands on short with a 300 s timeout; its first failure is retried by RQ until it succeeds."""
	start_worker(["b:short"])
	job_id = enqueue_routed(
		redis_client,
		lambda q: f"b:{q}",
		("default", "short", "long"),
		"tests.jobfuncs.fail_first_time",
		estimated_s=10,
		retries=2,
		retry_intervals=(0,),
		marker=str(tmp_path / "m"),
	)
	job = Job.fetch(job_id, connection=redis_client)
	assert (job.origin, job.timeout) == ("b:short", 300)
	wait_for_status(job, JobStatus.FINISHED)
	assert job.return_value() == "retried"


def test_fan_out_covers_every_row_once_with_keyset_chunks(db, database_name, redis_client, start_worker):
	"""1,050 rows in chunks of 100 become 11 jobs whose ranges cover each name exactly once."""
	with db.cursor() as cur:
		cur.execute("CREATE TABLE `tabToDo` (name VARCHAR(140) PRIMARY KEY)")
		cur.execute("INSERT INTO `tabToDo` SELECT CONCAT('TD-', LPAD(seq, 5, '0')) FROM seq_1_to_1050")
	from rq import Queue

	queue = Queue("b:long", connection=redis_client)

	def enqueue_chunk(after, upto):
		return queue.enqueue("tests.jobfuncs.names_in_chunk", database_name, "tabToDo", after, upto).id

	result = fanout.fan_out(db, redis_client, "tabToDo", 100, enqueue_chunk)
	assert result["chunks"] == 11
	assert fanout.progress(redis_client, result["fanout_id"])["pending"] == 11
	start_worker(["b:long"])
	jobs = [Job.fetch(i, connection=redis_client) for i in result["job_ids"]]
	for job in jobs:
		wait_for_status(job, JobStatus.FINISHED)
	names = [name for job in jobs for name in job.return_value()]
	assert len(names) == 1050 and len(set(names)) == 1050
	assert fanout.progress(redis_client, result["fanout_id"]) == {
		"total": 11,
		"finished": 11,
		"failed": 0,
		"expired": 0,
		"pending": 0,
		"progress": 1.0,
	}


def test_fan_out_progress_reads_a_fan_out_larger_than_a_page(redis_client):
	"""A fan-out of 2,503 job ids (three LRANGE pages) is counted whole: queued, failed and expired jobs."""
	from rq import Queue

	queue = Queue("b:long", connection=redis_client)
	queued = [queue.enqueue("tests.jobfuncs.names_in_chunk", "x", "y", None, None).id for _ in range(2)]
	failed = queue.enqueue("tests.jobfuncs.names_in_chunk", "x", "y", None, None)
	failed.set_status(JobStatus.FAILED)
	expired = [f"gone-{n}" for n in range(2500)]
	key = fanout.FANOUT_KEY.format("big")
	redis_client.rpush(key, *queued, failed.id, *expired)
	assert fanout.progress(redis_client, "big") == {
		"total": 2503,
		"finished": 0,
		"failed": 1,
		"expired": 2500,
		"pending": 2,
		"progress": round(2501 / 2503, 4),
	}


def test_fan_out_refuses_tables_that_do_not_exist(db):
	"""A table name that is not in information_schema (an injection attempt included) is refused."""
	with pytest.raises(InvalidInput, match="No table named"):
		list(fanout.chunks(db, "tabToDo`; DROP TABLE x; --", 100))
