"""Queue status, listings and rebalancing advice on a real Redis with real rq workers."""

import time

import pytest
from rq import Queue
from rq.job import Job
from rq.registry import FailedJobRegistry, FinishedJobRegistry, StartedJobRegistry

from perf_engine.core.errors import InvalidInput
from perf_engine.core.jobs.advice import ADD, NO_WORKER, OK, REMOVE, AdviceLimits, advise
from perf_engine.core.jobs.listing import list_jobs
from perf_engine.core.jobs.queue_status import queue_status

QUEUES = {"default": "bench:default", "short": "bench:short", "long": "bench:long"}


def enqueue_many(
	queue: Queue, count: int, site: str = "a.local", func: str = "tests.jobfuncs.add"
) -> list[str]:
	"""Enqueue `count` jobs in one pipeline with Frappe-style '<site>::<id>' ids."""
	jobs = [
		Queue.prepare_data(func, args=(i, 1), job_id=f"{site}::{i}-{time.time_ns()}") for i in range(count)
	]
	return [job.id for job in queue.enqueue_many(jobs)]


def snapshot(client) -> dict:
	"""Every key with its full value, to prove a read changed nothing."""
	state = {}
	for key in client.scan_iter(count=1000):
		kind = client.type(key)
		state[key] = (kind, client.dump(key))
	return state


def test_counts_match_with_thousands_of_jobs(redis_client):
	"""3,000 queued, 7 failed, 5 finished and a started job are counted exactly, per queue."""
	default = Queue(QUEUES["default"], connection=redis_client)
	enqueue_many(default, 3000)
	enqueue_many(Queue(QUEUES["long"], connection=redis_client), 40)
	failed, finished = FailedJobRegistry(queue=default), FinishedJobRegistry(queue=default)
	for i in range(7):
		failed.add(
			Job.create("tests.jobfuncs.add", args=(i, 1), connection=redis_client, id=f"f{i}"), ttl=3600
		)
	for i in range(5):
		finished.add(
			Job.create("tests.jobfuncs.add", args=(i, 1), connection=redis_client, id=f"d{i}"), ttl=3600
		)
	rows = {r["queue"]: r for r in queue_status(redis_client, QUEUES)}
	assert (rows["default"]["queued"], rows["default"]["failed"], rows["default"]["finished"]) == (3000, 7, 5)
	assert (rows["long"]["queued"], rows["short"]["queued"]) == (40, 0)
	assert rows["default"]["oldest_queued_age_s"] >= 0
	assert rows["short"]["oldest_queued_age_s"] is None


def test_status_read_changes_nothing_where_rq_count_would(redis_client):
	"""An expired started entry survives our status read; RQ's own registry.count would clean it up."""
	queue = Queue(QUEUES["default"], connection=redis_client)
	job = queue.enqueue("tests.jobfuncs.add", 1, 2)
	started = StartedJobRegistry(queue=queue)
	redis_client.zadd(started.key, {job.id: time.time() - 100})
	before = snapshot(redis_client)
	queue_status(redis_client, QUEUES)
	assert snapshot(redis_client) == before
	assert started.count == 0  # rq's count ran its cleanup and moved the job


def test_workers_listening_busy_and_idle(redis_client, start_worker):
	"""Live workers are counted per queue with busy and idle, and utilisation follows."""
	start_worker([QUEUES["default"]])
	start_worker([QUEUES["default"], QUEUES["short"]])
	Queue(QUEUES["default"], connection=redis_client).enqueue("tests.jobfuncs.sleep_for", 5)
	deadline = time.monotonic() + 15
	while time.monotonic() < deadline:
		rows = {r["queue"]: r for r in queue_status(redis_client, QUEUES)}
		if rows["default"]["workers"]["busy"] == 1:
			break
		time.sleep(0.1)
	assert rows["default"]["workers"]["total"] == 2 and rows["default"]["workers"]["busy"] == 1
	assert rows["default"]["utilisation"] == 0.5
	assert rows["short"]["workers"] == {
		"total": 1,
		"busy": 0,
		"idle": 1,
		"names": rows["short"]["workers"]["names"],
	}
	assert rows["long"]["workers"]["total"] == 0


def test_advice_flags_queues_without_workers_and_backlogs(redis_client, start_worker):
	"""Jobs with no worker are critical; a backlog asks for workers; idle workers can go."""
	enqueue_many(Queue(QUEUES["long"], connection=redis_client), 3)
	enqueue_many(Queue(QUEUES["short"], connection=redis_client), 30)
	start_worker([QUEUES["default"]])
	start_worker([QUEUES["default"]])
	limits = AdviceLimits(backlog_limit=10, queue_wait_limit_s=600)
	rows = {r["queue"]: r for r in queue_status(redis_client, QUEUES)}
	assert advise(rows["long"], limits)["advice"] == NO_WORKER
	assert "bench worker --queue long" in advise(rows["long"], limits)["reason"]
	assert advise(rows["default"], limits)["advice"] == REMOVE
	assert advise({**rows["short"], "workers": {"total": 1, "busy": 1, "idle": 0}}, limits)["advice"] == ADD
	quiet = {
		**rows["short"],
		"queued": 0,
		"oldest_queued_age_s": None,
		"workers": {"total": 1, "busy": 0, "idle": 1},
	}
	assert advise(quiet, limits)["advice"] == OK


def test_listing_loads_one_page_and_filters(redis_client):
	"""Pages follow queue order; site and method filters return only matching jobs."""
	queue = Queue(QUEUES["default"], connection=redis_client)
	a_ids = enqueue_many(queue, 150, site="a.local")
	b_ids = enqueue_many(queue, 60, site="b.local", func="tests.jobfuncs.sleep_for")
	page = list_jobs(redis_client, QUEUES["default"], "queued", page=2, page_size=20)
	assert [j["job_id"] for j in page["jobs"]] == a_ids[20:40]
	assert page["total"] == 210 and page["has_more"]
	by_site = list_jobs(redis_client, QUEUES["default"], "queued", page=3, page_size=25, site="b.local")
	assert [j["job_id"] for j in by_site["jobs"]] == b_ids[50:60] and not by_site["has_more"]
	by_method = list_jobs(
		redis_client, QUEUES["default"], "queued", page=1, page_size=50, method="tests.jobfuncs.sleep_for"
	)
	assert len(by_method["jobs"]) == 50 and by_method["has_more"]
	assert {j["site"] for j in by_method["jobs"]} == {"b.local"}


def test_listing_refuses_unknown_registry_and_bad_pages(redis_client):
	"""An unknown registry or a page below 1 is refused with a clear message."""
	with pytest.raises(InvalidInput, match="Unknown registry 'running'"):
		list_jobs(redis_client, QUEUES["default"], "running")
	with pytest.raises(InvalidInput, match="Page must be 1 or more"):
		list_jobs(redis_client, QUEUES["default"], "queued", page=0)


def frappe_job(queue: Queue, site: str, method: str, job_type: str | None = None) -> Job:
	"""A job shaped as Frappe v15 enqueues it: execute_job with its queue_args (never run here)."""
	kwargs = {"job_type": job_type} if job_type else {}
	queue_args = {
		"site": site,
		"user": "Administrator",
		"method": method,
		"event": None,
		"job_name": method,
		"is_async": True,
		"kwargs": kwargs,
	}
	job_id = f"{site}::{'scheduled_job::' + job_type if job_type else time.time_ns()}"
	return queue.enqueue_call("frappe.utils.background_jobs.execute_job", kwargs=queue_args, job_id=job_id)


def test_method_of_frappe_jobs_from_payload_and_description(redis_client):
	"""Frappe's method (the job type for scheduled jobs) is read alike from kwargs and from RQ's description."""
	from perf_engine.core.jobs.job_details import from_description, method_of

	queue = Queue(QUEUES["default"], connection=redis_client)
	plain = frappe_job(queue, "a.local", "erpnext.accounts.post")
	scheduled = frappe_job(
		queue,
		"a.local",
		"frappe.core.doctype.scheduled_job_type.scheduled_job_type.run_scheduled_job",
		job_type="erpnext.tasks.hourly",
	)
	assert method_of(plain) == from_description(plain.description) == "erpnext.accounts.post"
	assert method_of(scheduled) == from_description(scheduled.description) == "erpnext.tasks.hourly"
	assert from_description("tests.jobfuncs.add(1, 2)") == "tests.jobfuncs.add"


def test_method_filter_reads_only_what_it_needs_across_batches(redis_client):
	"""A method filter over Frappe-shaped jobs spanning several read batches pages through matches only."""
	queue = Queue(QUEUES["default"], connection=redis_client)
	wanted = []
	for i in range(1200):
		job = frappe_job(queue, "a.local", "app.wanted" if i % 4 == 0 else "app.other")
		if i % 4 == 0:
			wanted.append(job.id)
	page = list_jobs(redis_client, QUEUES["default"], "queued", page=7, page_size=40, method="app.wanted")
	assert [j["job_id"] for j in page["jobs"]] == wanted[240:280] and page["has_more"]
	assert {j["method"] for j in page["jobs"]} == {"app.wanted"}
	last = list_jobs(redis_client, QUEUES["default"], "queued", page=8, page_size=40, method="app.wanted")
	assert [j["job_id"] for j in last["jobs"]] == wanted[280:300] and not last["has_more"]
