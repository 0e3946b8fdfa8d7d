"""Sampling RQ's finished and failed registries into per-minute job statistics, with real rq workers."""

import time

from rq import Queue
from rq.job import Job

from perf_engine.core.jobs.keys import REGISTRIES
from perf_engine.core.jobstats import sampling
from perf_engine.core.jobstats.failures import TIMEOUT
from perf_engine.core.jobstats.keys import MINUTE, PREFIX, RETAIN_S, SAMPLING_LOCK, SEEN, STATE_TTL_S
from perf_engine.core.latency.histogram import Histogram
from tests.jobstats_helpers import QUEUES, by_method, last_hour, sample_now, wait_ended, wait_for

ADD, FAIL, SLEEP = "tests.jobfuncs.add", "tests.jobfuncs.fail_always", "tests.jobfuncs.sleep_for"


def test_each_ended_job_counts_once_with_its_outcome(redis_client, start_worker):
	"""Successes, failures and a timeout count per method, failures grouped with advice; a second sample adds nothing."""
	start_worker([QUEUES["default"]])
	queue = Queue(QUEUES["default"], connection=redis_client)
	for n in range(6):
		queue.enqueue(ADD, n, 1, job_id=f"a.local::add-{n}")
	for n in range(2):
		queue.enqueue(FAIL, f"Customer CUST-{n:04} has no price list", job_id=f"a.local::fail-{n}")
	queue.enqueue(SLEEP, 5, job_timeout=1, job_id="a.local::slow")
	wait_ended(redis_client, 9)
	assert sample_now(redis_client).jobs == 9
	assert sample_now(redis_client).jobs == 0
	found = last_hour(redis_client, site="a.local")
	rows = by_method(found)
	assert {m: (r["runs"], r["failures"], r["success_rate"]) for m, r in rows.items()} == {
		ADD: (6, 0, 1.0),
		FAIL: (2, 2, 0.0),
		SLEEP: (1, 1, 0.0),
	}
	assert rows[ADD]["queues"] == ["default"] and rows[ADD]["sites"] == ["a.local"]
	groups = {(f["method"], f["exception"]): f for f in found["failures"]}
	assert groups[(FAIL, "ValueError")]["count"] == 2
	assert groups[(FAIL, "ValueError")]["message"] == "Customer CUST-N has no price list"
	assert "ValueError: Customer CUST-0001" in groups[(FAIL, "ValueError")]["example"]
	assert groups[(SLEEP, TIMEOUT)]["count"] == 1 and "long queue" in groups[(SLEEP, TIMEOUT)]["advice"]
	assert rows[SLEEP]["run_p50_s"] >= 1.0


def test_a_job_id_run_again_counts_each_run(redis_client, start_worker):
	"""Frappe enqueues a scheduled job type under the same id every time: each run counts once."""
	start_worker([QUEUES["default"]])
	queue = Queue(QUEUES["default"], connection=redis_client)
	job_id = "a.local::scheduled_job::app.tasks.hourly"
	for run in (1, 2):
		queue.enqueue(ADD, run, 1, job_id=job_id)
		wait_for(lambda run=run: Job.fetch(job_id, connection=redis_client).return_value() == run + 1)
		time.sleep(1.1)  # RQ scores a registry entry in whole seconds: the next run's score is higher
		sample_now(redis_client)
	assert by_method(last_hour(redis_client))[ADD]["runs"] == 2


def true_waits(client, job_ids: list[str]) -> list[float]:
	jobs = Job.fetch_many(job_ids, connection=client)
	return [(job.started_at - job.enqueued_at).total_seconds() for job in jobs]


def test_queue_wait_of_jobs_held_back_a_known_time(redis_client, start_worker):
	"""Jobs enqueued with no worker for HOLD_S, then one: each waited at least HOLD_S, and the reported
	percentiles are exactly the bucket percentiles of the waits RQ's job hashes hold."""
	hold_s = 3.0
	queue = Queue(QUEUES["short"], connection=redis_client)
	ids = [queue.enqueue(SLEEP, 0.2, job_id=f"a.local::held-{n}").id for n in range(8)]
	time.sleep(hold_s)
	start_worker([QUEUES["short"]])
	wait_ended(redis_client, len(ids), "short")
	sample_now(redis_client)
	waits = true_waits(redis_client, ids)
	assert min(waits) >= hold_s
	row = by_method(last_hour(redis_client))[SLEEP]
	expected = Histogram.of(waits)
	assert [row[f"wait_p{p}_s"] for p in (50, 95, 99)] == [
		round(expected.percentile(p), 6) for p in (50, 95, 99)
	]
	queue_row = next(q for q in last_hour(redis_client)["queues"] if q["queue"] == "short")
	assert queue_row["wait_p95_s"] == row["wait_p95_s"] >= hold_s
	assert row["run_p50_s"] >= 0.2


def test_a_sample_reads_a_bounded_number_of_jobs_and_the_next_the_rest(
	redis_client, start_worker, monkeypatch
):
	"""With more new jobs than MAX_NEW, a sample reads MAX_NEW and says more wait; later samples read the rest."""
	monkeypatch.setattr(sampling, "MAX_NEW", 10)
	monkeypatch.setattr(sampling, "PAGE", 4)
	start_worker([QUEUES["default"]])
	queue = Queue(QUEUES["default"], connection=redis_client)
	queue.enqueue_many([Queue.prepare_data(ADD, args=(n, 1)) for n in range(25)])
	wait_ended(redis_client, 25)
	read = [sample_now(redis_client) for _ in range(4)]
	assert [(s.jobs, s.more_waiting) for s in read] == [(10, True), (10, True), (5, False), (0, False)]
	assert by_method(last_hour(redis_client))[ADD]["runs"] == 25


def test_a_job_whose_hash_is_gone_is_skipped_once(redis_client, start_worker):
	"""A registry entry whose job hash expired or was deleted is counted as gone, and not read again."""
	start_worker([QUEUES["default"]])
	job = Queue(QUEUES["default"], connection=redis_client).enqueue(ADD, 1, 1)
	wait_ended(redis_client, 1)
	redis_client.delete(job.key)
	first = sample_now(redis_client)
	assert (first.jobs, first.gone) == (0, 1)
	assert sample_now(redis_client).gone == 0


def test_one_sample_at_a_time_and_not_more_often_than_the_minimum_interval(redis_client):
	"""While a sample holds the lock others return at once; after one, the next waits MIN_INTERVAL_S."""
	redis_client.set(SAMPLING_LOCK, "another process")
	assert not sampling.sample(redis_client, QUEUES).ran
	redis_client.delete(SAMPLING_LOCK)
	assert sampling.sample(redis_client, QUEUES).ran
	assert not sampling.sample(redis_client, QUEUES).ran
	assert 0 < redis_client.ttl(SAMPLING_LOCK) <= sampling.MIN_INTERVAL_S


def rq_state(client) -> dict:
	"""Every key but perf_engine's own, with its value: what RQ keeps."""
	return {
		key: client.dump(key) for key in client.scan_iter(count=1000) if not key.decode().startswith(PREFIX)
	}


def test_sampling_only_reads_rq_and_its_own_keys_expire(redis_client, start_worker):
	"""RQ's keys are untouched by a sample; each minute expires within RETAIN_S, the mirror holds only what
	the registries hold and expires with the rest of the state."""
	worker = start_worker([QUEUES["default"]])
	queue = Queue(QUEUES["default"], connection=redis_client)
	for n in range(3):
		queue.enqueue(ADD, n, 1)
	queue.enqueue(FAIL, "boom")
	wait_ended(redis_client, 4)
	worker.stop()
	before = rq_state(redis_client)
	found = sample_now(redis_client)
	assert rq_state(redis_client) == before
	for minute in found.minutes:
		assert 0 < redis_client.ttl(MINUTE.format(minute)) <= RETAIN_S + 60
	for registry, count in (("finished", 3), ("failed", 1)):
		seen = SEEN.format(REGISTRIES[registry].format(QUEUES["default"]))
		assert redis_client.zcard(seen) == count
		assert 0 < redis_client.ttl(seen) <= STATE_TTL_S
