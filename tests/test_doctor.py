"""`perf-engine doctor` reports what really runs: MariaDB, Redis and RQ workers."""

import json
import subprocess
import sys
from pathlib import Path

from perf_engine.cli import main
from perf_engine.core.health.doctor import run_doctor
from tests.services import REPO_ROOT, mariadb_settings


def test_doctor_sees_database_sizes_and_live_workers(db, database_name, redis_db, start_worker):
	"""A test database with a table shows up with its size; a started worker shows up with its queue."""
	with db.cursor() as cur:
		cur.execute("CREATE TABLE tabItem (name VARCHAR(140) PRIMARY KEY, payload TEXT)")
		cur.executemany("INSERT INTO tabItem VALUES (%s, %s)", [(f"I-{i}", "x" * 200) for i in range(500)])
		cur.execute("ANALYZE TABLE tabItem")
	worker = start_worker(["doctor_q"])
	settings = mariadb_settings()
	settings = type(settings)(
		**{**settings.__dict__, "redis_cache_url": redis_db.url, "redis_queue_url": redis_db.url}
	)

	report = {r.name: r for r in run_doctor(settings)}

	assert all(r.ok for r in report.values()), report
	databases = {d["name"]: d for d in report["mariadb"].data["databases"]}
	assert databases[database_name]["tables"] == 1
	assert databases[database_name]["data_bytes"] > 0
	assert report["mariadb"].data["version"].startswith(("10.", "11."))
	workers = {w["name"]: w for w in report["rq"].data["workers"]}
	assert workers[worker.name]["queues"] == ["doctor_q"]


def test_doctor_isolates_a_dead_service(capsys):
	"""With Redis unreachable the Redis sections fail with a reason while MariaDB still reports; exit 3."""
	code = main(
		[
			"--json",
			"--redis-cache-url",
			"redis://127.0.0.1:1/0",
			"--redis-queue-url",
			"redis://127.0.0.1:1/0",
			"doctor",
		]
	)
	sections = {s["name"]: s for s in json.loads(capsys.readouterr().out)}
	assert code == 3
	assert sections["mariadb"]["ok"] is True
	assert sections["redis_cache"]["ok"] is False
	assert sections["redis_cache"]["error"].startswith("cache Redis at 127.0.0.1:1/0: cannot connect")
	assert sections["redis_cache"]["service"] == "cache Redis"
	assert "not checked" in sections["rq"]["error"]


def test_doctor_shows_redis_urls_without_their_password(private_redis, capsys):
	"""A Redis that needs a password: doctor reaches it and shows its URL masked, in text and JSON."""
	private_redis.config_set("requirepass", "s3cret-pw")
	port = private_redis.connection_pool.connection_kwargs["port"]
	url = f"redis://:s3cret-pw@127.0.0.1:{port}/0"
	for flags in ([], ["--json"]):
		assert main([*flags, "--redis-cache-url", url, "--redis-queue-url", url, "doctor"]) == 0
		out = capsys.readouterr()
		assert "s3cret-pw" not in out.out + out.err
		assert f"redis://:***@127.0.0.1:{port}/0" in out.out


def test_console_script_runs_without_frappe():
	"""The installed package imports and runs its CLI in a process where Frappe is absent."""
	probe = "import importlib.util, perf_engine.core, perf_engine.cli; assert importlib.util.find_spec('frappe') is None"
	subprocess.run([sys.executable, "-c", probe], check=True, cwd=REPO_ROOT)
	console_script = Path(sys.executable).parent / "perf-engine"
	result = subprocess.run([console_script, "doctor"], capture_output=True, text=True, cwd=REPO_ROOT)
	assert "== mariadb: ok" in result.stdout, result.stdout + result.stderr


def test_metrics_command_prints_parseable_prometheus_text(redis_db, start_worker, capsys):
	"""`perf-engine metrics` prints queue and Redis gauges that prometheus_client's parser reads."""
	from prometheus_client.parser import text_string_to_metric_families

	start_worker(["default"])
	code = main(["--redis-cache-url", redis_db.url, "--redis-queue-url", redis_db.url, "metrics"])
	families = {f.name: f for f in text_string_to_metric_families(capsys.readouterr().out)}
	assert code == 0
	idle = [
		s
		for s in families["perf_engine_workers"].samples
		if (s.labels["queue"], s.labels["state"]) == ("default", "idle")
	]
	assert idle[0].value == 1
	assert families["perf_engine_redis_used_bytes"].samples[0].value > 0
