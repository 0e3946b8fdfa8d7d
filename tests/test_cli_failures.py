"""Every `perf-engine` command, run as an operator runs it, against a closed Redis port and a closed
MariaDB port and with bad input: one line per failed service, no traceback, the documented exit code."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import REPO_ROOT, free_port, mariadb_settings

CONSOLE_SCRIPT = Path(sys.executable).parent / "perf-engine"
OK, FINDINGS, BAD_INPUT, UNAVAILABLE = 0, 1, 2, 3
SITE = "site1.local"


def perf_engine(*args: str) -> subprocess.CompletedProcess:
	"""The installed console script with no PERF_ENGINE_* from outside; without --bench, the test
	MariaDB's credentials as flags (with it, the site's config carries them)."""
	db = mariadb_settings()
	flags = []
	if "--bench" not in args:
		flags = ["--db-host", db.db_host, "--db-user", db.db_user, "--db-port", str(db.db_port)]
		flags += ["--db-password", db.db_password] if db.db_password else []
	return subprocess.run(
		[CONSOLE_SCRIPT, *flags, *args],
		capture_output=True,
		text=True,
		cwd=REPO_ROOT,
		env={"PATH": "/usr/bin:/bin", "HOME": str(REPO_ROOT)},
		timeout=60,
	)


def fake_bench(root: Path, redis_url: str, site_config: dict) -> str:
	"""A bench folder with only what perf-engine reads: common and site config."""
	(root / "sites" / SITE).mkdir(parents=True)
	common = {"redis_cache": redis_url, "redis_queue": redis_url}
	(root / "sites" / "common_site_config.json").write_text(json.dumps(common))
	(root / "sites" / SITE / "site_config.json").write_text(json.dumps(site_config))
	return str(root)


def site_config(database: str, **overrides) -> dict:
	db = mariadb_settings()
	return {
		"db_name": database,
		"db_host": db.db_host,
		"db_port": db.db_port,
		"db_user": db.db_user,
		"db_password": db.db_password,
		**overrides,
	}


def lines_naming(result: subprocess.CompletedProcess, text: str) -> list[str]:
	return [line for line in (result.stdout + result.stderr).splitlines() if text in line]


def assert_answer(result: subprocess.CompletedProcess, code: int, services: dict[str, str]) -> None:
	"""The exit code, no traceback, and exactly one line for each failed service at its location."""
	output = result.stdout + result.stderr
	assert result.returncode == code, output
	assert "Traceback" not in output, output
	for service, location in services.items():
		assert len(lines_naming(result, f"{service} at {location}:")) == 1, output


@pytest.fixture
def closed_redis() -> str:
	return f"redis://127.0.0.1:{free_port()}/0"


@pytest.fixture
def closed_mariadb_port() -> str:
	return str(free_port())


REDIS_COMMANDS = [
	(["doctor"], UNAVAILABLE, ("cache Redis", "queue Redis")),
	(["queues"], UNAVAILABLE, ("queue Redis",)),
	(["stalls"], UNAVAILABLE, ("queue Redis",)),
	(["redis"], UNAVAILABLE, ("cache Redis",)),
	(["redis", "--prefix", "_abc|", "--cleanup", "--dry-run", "--force"], UNAVAILABLE, ("cache Redis",)),
	(["metrics"], UNAVAILABLE, ("queue Redis", "cache Redis")),
]


@pytest.mark.parametrize(("command", "code", "services"), REDIS_COMMANDS, ids=lambda v: str(v))
def test_each_redis_command_with_redis_down(closed_redis, command, code, services):
	"""A closed Redis port: one line per Redis the command needs, exit 3."""
	result = perf_engine("--redis-cache-url", closed_redis, "--redis-queue-url", closed_redis, *command)
	location = closed_redis.removeprefix("redis://")
	assert_answer(result, code, dict.fromkeys(services, location))
	assert "cannot connect" in lines_naming(result, services[0])[0]


def test_site_commands_with_redis_down(closed_redis, database_name, tmp_path):
	"""capacity and metrics for a site whose Redis is down: the MariaDB parts still answer, exit 3."""
	bench = fake_bench(tmp_path, closed_redis, site_config(database_name))
	location = closed_redis.removeprefix("redis://")
	both = {"cache Redis": location, "queue Redis": location}
	capacity = perf_engine(
		"--bench", bench, "--site", SITE, "capacity", "--users", "50", "--transactions", "10"
	)
	assert_answer(capacity, UNAVAILABLE, both)
	assert "Fits this host" in capacity.stdout, "the reference model and recommendation still print"
	assert_answer(perf_engine("--bench", bench, "--site", SITE, "metrics"), UNAVAILABLE, both)
	indexes = perf_engine("--bench", bench, "--site", SITE, "indexes", "analyze")
	assert_answer(indexes, OK, {})


def test_each_mariadb_command_with_mariadb_down(closed_mariadb_port, database_name, redis_db, tmp_path):
	"""A closed MariaDB port: one line naming MariaDB where it was looked for, exit 3; Redis-only commands answer."""
	bench = fake_bench(tmp_path, redis_db.url, site_config(database_name, db_port=int(closed_mariadb_port)))
	site = ["--bench", bench, "--site", SITE]
	where = f"{mariadb_settings().db_host}:{closed_mariadb_port}"
	cases = [
		(["doctor"], UNAVAILABLE, where),
		(["capacity", "--users", "50", "--transactions", "10"], UNAVAILABLE, f"{where}/{database_name}"),
		(["metrics"], UNAVAILABLE, f"{where}/{database_name}"),
		(["indexes", "analyze"], UNAVAILABLE, f"{where}/{database_name}"),
		(
			["indexes", "apply", "--table", "tabNote", "--columns", "title"],
			UNAVAILABLE,
			f"{where}/{database_name}",
		),
	]
	for command, code, location in cases:
		assert_answer(perf_engine(*site, *command), code, {"MariaDB": location})
	for command in (["queues"], ["stalls"], ["redis"]):
		assert_answer(perf_engine(*site, *command), OK, {})


def test_redis_refusals_each_say_what_to_check(private_redis, redis_db, closed_redis):
	"""Wrong password, a database number the server lacks, and a malformed URL: one line each, no secret."""
	private_redis.config_set("requirepass", "right-pw")
	port = private_redis.connection_pool.connection_kwargs["port"]
	wrong_password = perf_engine("--redis-queue-url", f"redis://:wrong-pw@127.0.0.1:{port}/0", "stalls")
	assert_answer(wrong_password, UNAVAILABLE, {"queue Redis": f"127.0.0.1:{port}/0"})
	assert "authentication failed" in wrong_password.stderr and "wrong-pw" not in wrong_password.stderr
	bad_db = perf_engine("--redis-queue-url", redis_db.url.rsplit("/", 1)[0] + "/99", "queues")
	assert_answer(bad_db, UNAVAILABLE, {"queue Redis": "127.0.0.1:6379/99"})
	assert "database number" in bad_db.stderr
	bad_url = perf_engine("--redis-cache-url", "http://:pw-in-url@127.0.0.1:6379/0", "redis")
	assert_answer(bad_url, BAD_INPUT, {})
	assert bad_url.stderr.count("\n") == 1 and "is not a Redis URL" in bad_url.stderr
	assert "pw-in-url" not in bad_url.stderr


def test_access_denied_is_named_not_hidden(database_name, redis_db, tmp_path):
	"""A site whose database password is wrong: capacity says "access denied", not "no site database"."""
	bench = fake_bench(
		tmp_path, redis_db.url, site_config(database_name, db_user="perf_nobody", db_password="x")
	)
	result = perf_engine(
		"--bench", bench, "--site", SITE, "capacity", "--users", "50", "--transactions", "10"
	)
	db = mariadb_settings()
	assert_answer(result, UNAVAILABLE, {"MariaDB": f"{db.db_host}:{db.db_port}/{database_name}"})
	assert "access denied for perf_nobody" in result.stderr
	assert "no site database" not in result.stdout + result.stderr


@pytest.mark.parametrize(
	("args", "message"),
	[
		(["--site", SITE, "queues"], "needs its bench"),
		(
			["capacity", "--users", "50", "--transactions", "10", "--mix", "nan,25,10,5"],
			"light share must be a number",
		),
		(
			["capacity", "--users", "50", "--transactions", "10", "--mix", "60,x,10,5"],
			"medium share must be a number",
		),
		(
			["capacity", "--users", "50", "--transactions", "10", "--mix", "60,25,inf,5"],
			"heavy share must be a number",
		),
		(["capacity", "--users", "50", "--transactions", "10", "--mix", "60,25,15"], "takes four numbers"),
		(["capacity", "--users", "nan", "--transactions", "10"], "Concurrent users must be a number"),
		(
			["capacity", "--users", "50", "--transactions", "10", "--cores", "0"],
			"Host cpu cores must be between 1",
		),
		(
			["capacity", "--users", "50", "--transactions", "10", "--memory-gb", "0"],
			"Host memory gb must be between",
		),
		(["stalls", "--heartbeat-grace", "10"], "at least 45 s"),
		(["indexes", "analyze"], "Name a database"),
	],
	ids=lambda v: str(v),
)
def test_bad_input_is_refused_in_one_line(redis_db, args, message):
	"""Input that would otherwise be replaced silently or crash is refused: one line, exit 2."""
	result = perf_engine("--redis-cache-url", redis_db.url, "--redis-queue-url", redis_db.url, *args)
	assert_answer(result, BAD_INPUT, {})
	assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr


def test_warm_refuses_a_folder_that_is_not_a_bench(tmp_path, redis_db):
	"""`warm` outside a real bench says so in one line (exit 2) instead of failing to start Python."""
	bench = fake_bench(tmp_path, redis_db.url, {})
	assert_answer(perf_engine("--bench", bench, "--site", SITE, "warm"), BAD_INPUT, {})


def test_help_lists_each_commands_exit_codes():
	"""`--help` of perf-engine and of each command ends with the exit codes and what 1 means there."""
	top = perf_engine("--help")
	assert "exit codes:" in top.stdout and "3  a service" in top.stdout
	for command, findings in (
		(["stalls"], "1  stalled jobs found"),
		(["queues"], "1  a queue needs workers"),
		(["capacity"], "1  the load passes a hard limit"),
		(["indexes", "apply"], "1  the change was not applied"),
		(["doctor"], "3  a service"),
		(["metrics"], "4  unexpected error"),
		(["redis"], "2  bad input"),
	):
		assert findings in perf_engine(*command, "--help").stdout, command
	assert "  1  " not in perf_engine("doctor", "--help").stdout, "doctor never exits 1"


def test_an_unexpected_error_is_exit_4_with_the_traceback_only_on_request(redis_db, redis_client):
	"""A key of the wrong type where RQ's queue should be is a bug-class error: one line and exit 4,
	the traceback only with -v, and a password in the URL masked in both."""
	redis_client.set("rq:queue:default", "not a list")
	url = redis_db.url.replace("redis://", "redis://default:pw-hidden@")
	plain = perf_engine("--redis-queue-url", redis_db.url, "queues")
	assert_answer(plain, 4, {})
	assert (
		"WRONGTYPE" in plain.stderr
		and plain.stderr.count("\n") == 1
		and "unexpected error ResponseError" in plain.stderr
	)
	verbose = perf_engine("-v", "--redis-queue-url", url, "queues")
	assert verbose.returncode == 4 and "Traceback" in verbose.stderr
	assert "pw-hidden" not in verbose.stdout + verbose.stderr
