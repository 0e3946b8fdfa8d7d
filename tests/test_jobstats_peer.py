"""Checked against a peer: rq-exporter 2.1.2, the exporter RQ users run, reads the same Redis while real
workers run jobs that succeed, fail and time out; its per-worker counters equal the workers perf_engine
reports, and its jobs per queue and status equal perf_engine's queue counts."""

import subprocess
import sys
import time
import urllib.request
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from rq import Queue

from perf_engine.core.jobs.queue_status import queue_status
from tests.jobstats_helpers import QUEUES, last_hour, sample_now, wait_ended, wait_for
from tests.services import free_port

EXPORTER_START_TIMEOUT_S = 30
# rq-exporter's status label -> perf_engine's queue status field.
STATUSES = {
	"queued": "queued",
	"started": "started",
	"finished": "finished",
	"failed": "failed",
	"deferred": "deferred",
	"scheduled": "scheduled",
}


@pytest.fixture
def exporter(redis_db):
	"""rq-exporter serving the test's Redis database on a free loopback port; stopped afterwards."""
	port = free_port()
	process = subprocess.Popen(
		[
			sys.executable,
			"-m",
			"rq_exporter",
			"--redis-url",
			redis_db.url,
			"--host",
			"127.0.0.1",
			"--port",
			str(port),
		],
		stdout=subprocess.DEVNULL,
		stderr=subprocess.PIPE,
	)
	url = f"http://127.0.0.1:{port}/metrics"
	deadline = time.monotonic() + EXPORTER_START_TIMEOUT_S
	while time.monotonic() < deadline:
		try:
			urllib.request.urlopen(url, timeout=2).read()
			break
		except OSError:
			if process.poll() is not None:
				pytest.fail(f"rq-exporter exited: {process.stderr.read().decode()}")
			time.sleep(0.1)
	else:
		process.kill()
		pytest.fail("rq-exporter did not serve within 30 s")
	yield url
	process.terminate()
	process.wait(timeout=10)


def scrape(url: str) -> dict[str, dict[tuple, float]]:
	"""rq-exporter's samples by name, each keyed by its sorted labels."""
	found: dict[str, dict[tuple, float]] = {}
	for family in text_string_to_metric_families(urllib.request.urlopen(url, timeout=10).read().decode()):
		for sample in family.samples:
			found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
	return found


def per_worker(samples: dict[tuple, float]) -> dict[str, float]:
	return {dict(labels)["name"]: value for labels, value in samples.items()}


def test_worker_counters_and_queue_counts_equal_rq_exporters(redis_client, start_worker, exporter):
	"""rq_workers_success_total, rq_workers_failed_total, rq_workers_working_time_total per worker and rq_jobs
	per queue and status equal perf_engine's figures for the same workers and queues."""
	workers = [start_worker([QUEUES["default"]]), start_worker([QUEUES["default"], QUEUES["short"]])]
	default, short = (Queue(QUEUES[name], connection=redis_client) for name in ("default", "short"))
	for n in range(8):
		default.enqueue("tests.jobfuncs.add", n, 1, job_id=f"a.local::ok-{n}")
	for n in range(3):
		default.enqueue("tests.jobfuncs.fail_always", f"row {n} is locked", job_id=f"a.local::bad-{n}")
	for n in range(2):
		short.enqueue("tests.jobfuncs.sleep_for", 3, job_timeout=1, job_id=f"a.local::slow-{n}")
	short.enqueue("tests.jobfuncs.sleep_for", 0.3, job_id="a.local::nap")
	wait_ended(redis_client, 11)
	wait_ended(redis_client, 3, "short")
	# Work still waiting: a queue nobody listens to, a job deferred behind it, one scheduled for later.
	long = Queue(QUEUES["long"], connection=redis_client)
	blocker = long.enqueue("tests.jobfuncs.add", 1, 1)
	long.enqueue("tests.jobfuncs.add", 2, 2, depends_on=blocker)
	long.enqueue_in(timedelta(hours=1), "tests.jobfuncs.add", 3, 3)
	wait_for(lambda: all(redis_client.hget(f"rq:worker:{w.name}", "state") == b"idle" for w in workers))

	theirs = scrape(exporter)
	sample_now(redis_client)
	ours = {w["name"]: w for w in last_hour(redis_client, site="a.local")["workers"]}
	assert set(ours) == {w.name for w in workers}
	assert per_worker(theirs["rq_workers_success_total"]) == {
		n: w["successful_jobs"] for n, w in ours.items()
	}
	assert per_worker(theirs["rq_workers_failed_total"]) == {n: w["failed_jobs"] for n, w in ours.items()}
	working = per_worker(theirs["rq_workers_working_time_total"])
	assert working.keys() == ours.keys()
	for name, seconds in working.items():
		assert seconds == pytest.approx(ours[name]["working_time_s"], abs=1e-6)
	assert sum(w["successful_jobs"] for w in ours.values()) == 9
	assert sum(w["failed_jobs"] for w in ours.values()) == 5

	counts = {row["rq_name"]: row for row in queue_status(redis_client, QUEUES)}
	jobs = {(dict(labels)["queue"], dict(labels)["status"]): v for labels, v in theirs["rq_jobs"].items()}
	assert {queue for queue, _ in jobs} == set(QUEUES.values())
	for (queue, status), value in jobs.items():
		assert counts[queue][STATUSES[status]] == value, (queue, status)
	assert (
		counts[QUEUES["long"]]["queued"],
		counts[QUEUES["long"]]["deferred"],
		counts[QUEUES["long"]]["scheduled"],
	) == (1, 1, 1)

	# And perf_engine's own per-method view of the same jobs.
	rows = {
		r["method"]: (r["runs"], r["failures"]) for r in last_hour(redis_client, site="a.local")["methods"]
	}
	assert rows == {
		"tests.jobfuncs.add": (8, 0),
		"tests.jobfuncs.fail_always": (3, 3),
		"tests.jobfuncs.sleep_for": (3, 2),
	}
