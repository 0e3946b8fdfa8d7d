"""Every metric names its bench and site: the bench is the same for all sites of a bench, bench-wide
families say so, and the new verdict and threshold series carry perf_engine's own judgement."""

import json
import socket
import time
from datetime import datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families
from rq import Queue

from perf_engine.cli import main
from perf_engine.core.health import identity
from perf_engine.core.health.figures import collect
from perf_engine.core.health.metrics import BENCH_WIDE, render
from perf_engine.core.latency.thresholds import Threshold
from perf_engine.core.settings import Settings
from tests.services import mariadb_settings

SITES = ("one.localhost", "two.localhost")
QUEUES = {"default": "default"}
BACKLOG_LIMIT = 2
START_TIMEOUT_S = 20


def families(text: str) -> dict:
	return {family.name: family for family in text_string_to_metric_families(text)}


def fake_bench(root, redis_url: str, database: str, **common) -> str:
	"""A bench folder holding two sites of one database, with what perf-engine reads of it."""
	db = mariadb_settings()
	conf = {
		"db_name": database,
		"db_host": db.db_host,
		"db_port": db.db_port,
		"db_user": db.db_user,
		"db_password": db.db_password,
	}
	sites = root / "sites"
	for site in SITES:
		(sites / site).mkdir(parents=True)
		(sites / site / "site_config.json").write_text(json.dumps(conf))
	shared = {"redis_cache": redis_url, "redis_queue": redis_url, **common}
	(sites / "common_site_config.json").write_text(json.dumps(shared))
	return str(root)


def scrape_labels(bench: str, site: str, capsys) -> set[tuple[str, str]]:
	"""(bench, site) of every sample `perf-engine --bench --site metrics` prints."""
	assert main(["--bench", bench, "--site", site, "metrics"]) == 0, capsys.readouterr().err
	text = capsys.readouterr().out
	return {
		(sample.labels["bench"], sample.labels["site"])
		for family in families(text).values()
		for sample in family.samples
	}


def test_the_bench_is_configured_or_this_host_and_frappes_bench_id():
	"""perf_engine_bench wins (trimmed); else host:bench_id; with no bench at all, the host."""
	host = socket.gethostname()
	assert identity.bench_name({"perf_engine_bench": " erp-prod-1 "}, "x") == "erp-prod-1"
	assert identity.bench_name({"perf_engine_bench": ""}, "home-frappe-bench") == f"{host}:home-frappe-bench"
	assert identity.bench_name({}, None) == host
	assert identity.of({}, "b", None) == identity.Identity(f"{host}:b", "")


def test_two_sites_of_a_bench_report_one_bench_and_their_own_site(
	tmp_path, site_db, database_name, redis_db, capsys
):
	"""`perf-engine metrics` for either site of one bench labels every sample with that site and the
	bench Frappe's bench_id names (its resolved path, slashes as dashes) on this host."""
	bench = fake_bench(tmp_path, redis_db.url, database_name)
	bench_id = str(tmp_path.resolve()).strip("/").replace("/", "-")
	expected = f"{socket.gethostname()}:{bench_id}"
	for site in SITES:
		assert scrape_labels(bench, site, capsys) == {(expected, site)}


def test_a_configured_bench_name_labels_every_site(tmp_path, site_db, database_name, redis_db, capsys):
	"""perf_engine_bench in common_site_config.json is the bench of both sites."""
	bench = fake_bench(tmp_path, redis_db.url, database_name, perf_engine_bench="erp-prod-1")
	assert scrape_labels(bench, SITES[0], capsys) == {("erp-prod-1", SITES[0])}
	assert scrape_labels(bench, SITES[1], capsys) == {("erp-prod-1", SITES[1])}


JOB_QUEUE_ROW = {
	"queue": "default",
	"utilization": 0.5,
	"utilization_now": 0.25,
	**{f"wait_p{pct}_s": float(pct) for pct in (50, 95, 99)},
}


def test_scope_is_bench_for_bench_wide_families_and_site_for_the_rest(site_db, redis_client):
	"""Every bench-wide family is rendered with scope="bench"; every other family with scope="site"."""
	found = collect(
		queue=redis_client,
		queue_names=QUEUES,
		cache=redis_client,
		settings=Settings(redis_memory_budget_mb=64),
		now=datetime.now(),
		db=site_db,
	)
	# The job statistics part as the API and CLI add it: one queue's utilization is bench-wide.
	found["job_stats"] = {"queues": [JOB_QUEUE_ROW], "methods": []}
	rendered = families(render(found, identity.Identity("b", "s")).decode())
	scopes = {
		name: {s.labels["scope"] for s in family.samples}
		for name, family in rendered.items()
		if family.samples
	}
	assert {name for name, scope in scopes.items() if scope == {"bench"}} == BENCH_WIDE
	assert all(scope in ({"bench"}, {"site"}) for scope in scopes.values()), scopes
	assert scopes["perf_engine_health"] == {"site"}


def test_without_an_identity_series_carry_only_their_own_labels(redis_client):
	"""A render without identity (one figure under test) adds no bench, site or scope."""
	found = collect(
		queue=redis_client, queue_names=QUEUES, cache=redis_client, settings=Settings(), now=datetime.now()
	)
	for family in families(render(found).decode()).values():
		for sample in family.samples:
			assert not {"bench", "site", "scope"} & set(sample.labels), sample


def queue_verdict(redis_client) -> float:
	found = collect(
		queue=redis_client, queue_names=QUEUES, cache=redis_client, settings=Settings(), now=datetime.now()
	)
	(sample,) = families(render(found).decode())["perf_engine_queue_health"].samples
	return sample.value


def test_queue_health_is_critical_with_jobs_and_no_worker_and_ok_once_one_listens(redis_client, start_worker):
	"""perf_engine_queue_health: 0 for an empty queue, 2 with a job and no worker, 0 with a live worker."""
	assert queue_verdict(redis_client) == 0
	Queue("default", connection=redis_client).enqueue("tests.jobfuncs.sleep_for", 30)
	assert queue_verdict(redis_client) == 2
	start_worker(["default"])
	assert queue_verdict(redis_client) == 0


def test_queue_health_warns_past_the_backlog_limit(redis_client, start_worker):
	"""With a worker busy on one job, more jobs waiting than the backlog limit make the queue 1."""
	start_worker(["default"])
	queue = Queue("default", connection=redis_client)
	running = queue.enqueue("tests.jobfuncs.sleep_for", 30)
	for _ in range(BACKLOG_LIMIT + 1):
		queue.enqueue("tests.jobfuncs.sleep_for", 30)
	deadline = time.monotonic() + START_TIMEOUT_S
	while running.get_status(refresh=True) != "started" and time.monotonic() < deadline:
		time.sleep(0.1)
	found = collect(
		queue=redis_client,
		queue_names=QUEUES,
		cache=redis_client,
		settings=Settings(backlog_limit=BACKLOG_LIMIT),
		now=datetime.now(),
	)
	assert found["queues"][0]["workers"]["busy"] == 1
	(sample,) = families(render(found).decode())["perf_engine_queue_health"].samples
	assert sample.value == 1


@pytest.mark.parametrize(
	("stored", "expected"),
	[
		(Threshold("list_view_load", 2000, "ms"), {("list_view", "0.95", "list_view_load"): 2.0}),
		(Threshold("job_completion", 300, "s"), {("job", "0.95", "job_completion"): 300.0}),
		(Threshold("api_response_p99", 1500, "ms"), {("request", "0.99", "api_response_p99"): 1.5}),
		(Threshold("form_load", 1500, "ms", enabled=False), {}),
		(Threshold("request_memory", 256, "MB"), {}),
	],
)
def test_each_sla_kind_gets_its_enabled_threshold_in_seconds(stored, expected):
	"""perf_engine_sla_threshold_seconds holds each kind's enabled time threshold, in seconds."""
	text = render({"thresholds": {stored.operation_type: stored}}).decode()
	samples = families(text)["perf_engine_sla_threshold_seconds"].samples
	found = {(s.labels["kind"], s.labels["quantile"], s.labels["operation_type"]): s.value for s in samples}
	assert found == expected


def test_each_scheduler_and_mariadb_check_is_a_series(site_db, redis_client):
	"""perf_engine_health_check carries every check of the scheduler, MariaDB, job load, the site database and
	perf_engine itself."""
	found = collect(
		queue=redis_client,
		queue_names=QUEUES,
		cache=redis_client,
		settings=Settings(),
		now=datetime.now(),
		db=site_db,
	)
	samples = families(render(found).decode())["perf_engine_health_check"].samples
	series = {(s.labels["subsystem"], s.labels["check"]): s.value for s in samples}
	values = {"ok": 0, "warning": 1, "critical": 2, "unknown": -1}
	expected = {
		(name, check["check"]): values[check["status"]]
		for name in ("scheduler", "mariadb", "jobs", "database", "footprint")
		for check in found["health"]["subsystems"][name]["checks"]
	}
	assert series == expected
	assert ("mariadb", "connections") in series and ("scheduler", "enabled") in series
