"""`perf-engine queues` and `perf-engine stalls` against a real Redis."""

import json
import time
from datetime import timedelta

from rq import Queue
from rq.registry import StartedJobRegistry

from perf_engine.cli import main
from tests.test_jobs_stalls import backdate


def cli(redis_db, *args: str) -> list[str]:
	"""The common arguments that point the CLI at the claimed Redis database."""
	return ["--redis-cache-url", redis_db.url, "--redis-queue-url", redis_db.url, *args]


def test_queues_prints_counts_and_flags_a_queue_without_workers(redis_db, redis_client, capsys):
	"""Queued jobs with no worker listening show up in the table and a 'no worker' line, and exit 1."""
	assert main(cli(redis_db, "queues")) == 0
	capsys.readouterr()
	queue = Queue("long", connection=redis_client)
	for i in range(4):
		queue.enqueue("tests.jobfuncs.add", i, 1)
	assert main(cli(redis_db, "queues")) == 1
	out = capsys.readouterr().out
	long_row = next(line.split() for line in out.splitlines() if line.startswith("long "))
	assert long_row[1] == "4"
	assert "long: 4 job(s) queued and no worker listening" in out


def test_stalls_exits_1_with_findings_as_json(redis_db, redis_client, capsys):
	"""A queue waiting past the limit makes `stalls` exit 1 and print the finding; none exits 0."""
	assert main(cli(redis_db, "stalls")) == 0
	assert "No stalled jobs." in capsys.readouterr().out
	job = Queue("default", connection=redis_client).enqueue(
		"tests.jobfuncs.add", 1, 2, job_id="a.local::late"
	)
	backdate(redis_client, job, "enqueued_at", timedelta(minutes=20))
	assert main(cli(redis_db, "--json", "stalls", "--queue-wait-limit", "600")) == 1
	findings = json.loads(capsys.readouterr().out)
	assert [(f["kind"], f["queue"], f["job_id"]) for f in findings] == [("queue_waiting", "default", job.id)]


def test_stalls_requeue_refuses_a_job_that_may_still_run_unless_forced(redis_db, redis_client, capsys):
	"""A started job whose worker left no trace may run on an unknown host: listed as such, `--requeue` exits 2
	with one line and leaves it alone, `--force` alone is refused, and `--requeue --force` requeues it."""
	queue = Queue("default", connection=redis_client)
	job = queue.enqueue("tests.jobfuncs.add", 1, 2, job_id="a.local::lost")
	queue.remove(job)
	redis_client.hset(job.key, mapping={"status": "started", "worker_name": "gone-worker"})
	redis_client.zadd(StartedJobRegistry(queue=queue).key, {job.id: time.time() + 60})
	assert main(cli(redis_db, "stalls")) == 1
	assert (
		"may still be running on an unknown host (cannot be inspected from here)" in capsys.readouterr().out
	)
	assert main(cli(redis_db, "stalls", "--requeue", job.id)) == 2
	refusal = capsys.readouterr().err
	assert len(refusal.splitlines()) == 1 and "may still be running" in refusal and "force" in refusal
	assert job.get_status(refresh=True) == "started"
	assert main(cli(redis_db, "stalls", "--force")) == 2
	assert "--force only goes with --requeue" in capsys.readouterr().err
	assert main(cli(redis_db, "stalls", "--requeue", job.id, "--force")) == 0
	assert capsys.readouterr().out.strip() == f"{job.id}: requeued orphan on default"
	assert job.get_status(refresh=True) == "queued" and job.id in queue.job_ids
