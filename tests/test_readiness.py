"""The production-readiness checklist: every line's rule from facts, and facts gathered from real services."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from perf_engine.cli import main
from perf_engine.core.errors import InvalidInput
from perf_engine.core.health import readiness, readiness_facts
from perf_engine.core.latency import slow_requests
from perf_engine.core.latency.monitor import MONITOR_KEY
from perf_engine.core.query import unbounded as unbounded_queries
from perf_engine.core.settings import Settings
from tests.monitor_entries import monitor_entry
from tests.services import connect_database, free_port, mariadb_settings
from tests.site_tables import NOW, insert

MODEL = {
	"name": "Peak 2026",
	"computed_at": NOW - timedelta(days=1),
	"concurrent_users": 200.0,
	"peak_multiplier": 3.0,
	"gunicorn": {"minimum": 3, "recommended": 4},
	"background": {"default": 1, "short": 1, "long": 1},
	"db_pool": {"minimum": 20, "recommended": 40},
}
REDIS_OK = {"maxmemory": 256 * 1024**2, "maxmemory_policy": "allkeys-lru", "hit_rate": 0.95}
QUEUE_OK = {"maxmemory": 0, "maxmemory_policy": "noeviction", "hit_rate": 0.5}
SCHEDULER_OK = {"disabled_by": None, "oldest_due": None, "failing_jobs": [], "failure_window_h": 24}
MARIADB_OK = {"max_connections": 151, "max_used_connections": 30}
RUN_OK = {
	"name": "LTR-0001",
	"started_at": NOW - timedelta(days=3),
	"peak_multiplier": 2.0,
	"sla_verdict": "Pass",
	"capacity_model": "Peak 2026",
}
GOOD = {
	"now": NOW,
	"model": MODEL,
	"bench_config": {"gunicorn_workers": 4},
	"cpu_cores": 2,
	"live_workers": {"default": 1, "short": 1, "long": 1},
	"cache_redis": REDIS_OK,
	"queue_redis": QUEUE_OK,
	"big_tables": [{"table": "tabGL Entry", "rows": 80_000}],
	"high_findings": [],
	"index_analysed": True,
	"slow_requests": {"monitor_on": True, "window_min": 60, "requests": 500, "slow": 0, "slow_paths": []},
	"unbounded_queries": {
		"source_off": False,
		"note": "Workload read from slow query log (table).",
		"statements": [],
	},
	"scheduler": SCHEDULER_OK,
	"stall_check": {"stopped": 0, "last_execution": NOW - timedelta(minutes=1), "interval_minutes": 5},
	"mariadb": MARIADB_OK,
	"load_tests": [RUN_OK],
	"load_test_days": 30,
}
SLOW = {"path": "/api/method/app.export", "count": 4, "max_s": 3.2}

# One state per line that must fail it, with words its evidence must carry.
FAILING = {
	"capacity_model": ({"model": None}, "no Capacity Model"),
	"gunicorn_workers": ({"bench_config": {"gunicorn_workers": 2}}, "model minimum 3"),
	"background_workers": ({"live_workers": {"default": 1, "short": 0, "long": 1}}, "short: 0 live of 1"),
	"redis_memory": (
		{"queue_redis": {**QUEUE_OK, "maxmemory_policy": "allkeys-lru"}},
		"queued jobs can be lost",
	),
	"indexes": (
		{"high_findings": [{"table": "tabGL Entry", "columns": "account, posting_date"}]},
		"open HIGH: tabGL Entry (account, posting_date)",
	),
	"caching": ({"cache_redis": {**REDIS_OK, "hit_rate": None}}, "served no reads"),
	"slow_requests": (
		{"slow_requests": {**GOOD["slow_requests"], "slow": 4, "slow_paths": [SLOW]}},
		"/api/method/app.export (4x, up to 3.2 s)",
	),
	"pagination": (
		{
			"unbounded_queries": {
				**GOOD["unbounded_queries"],
				"statements": [{"sql": "SELECT * FROM `tabToDo`", "calls": 9, "rows_per_call": 60_000.0}],
			}
		},
		"SELECT * FROM `tabToDo` (60,000 rows a call)",
	),
	"job_monitoring": (
		{"scheduler": {**SCHEDULER_OK, "disabled_by": "pause_scheduler is set"}},
		"scheduler off",
	),
	"db_connections": ({"mariadb": {**MARIADB_OK, "max_connections": 10}}, "model pool minimum 20"),
	"load_test": ({"load_tests": None}, "no load test recorded"),
}


def lines_of(facts: dict) -> dict:
	return {line["line"]: line for line in readiness.assess(facts)["lines"]}


def test_every_checklist_line_is_answered_ok_in_a_ready_state():
	"""All eleven lines of the spec's checklist are present, and all are ok on ready facts."""
	answer = readiness.assess(GOOD)
	assert [line["line"] for line in answer["lines"]] == list(readiness.LABELS)
	assert {line["status"] for line in answer["lines"]} == {"ok"}, answer
	assert answer["status"] == "ok"
	assert all(line["evidence"] for line in answer["lines"])


@pytest.mark.parametrize("name", list(FAILING))
def test_each_line_fails_on_its_own_state(name):
	"""One changed fact fails its own line alone, with the evidence named and an action to take."""
	change, evidence = FAILING[name]
	lines = lines_of({**GOOD, **change})
	assert lines[name]["status"] == "failing"
	assert evidence in lines[name]["evidence"]
	assert lines[name]["action"]
	others = {other: line["status"] for other, line in lines.items() if other != name}
	# No model also leaves the lines that compare with it without a yardstick.
	expected_warnings = (
		{"gunicorn_workers", "background_workers", "db_connections"} if name == "capacity_model" else set()
	)
	assert {other for other, status in others.items() if status != "ok"} == expected_warnings
	assert readiness.assess({**GOOD, **change})["status"] == "failing"


@pytest.mark.parametrize(
	"name, change",
	[
		("gunicorn_workers", {"bench_config": {"gunicorn_workers": 9}}),  # above 2 x 2 + 1
		("redis_memory", {"cache_redis": {**REDIS_OK, "maxmemory": 0}}),
		("redis_memory", {"cache_redis": {**REDIS_OK, "maxmemory_policy": "noeviction"}}),
		("caching", {"cache_redis": {**REDIS_OK, "hit_rate": 0.5}}),
		("indexes", {"index_analysed": False}),
		("slow_requests", {"slow_requests": {**GOOD["slow_requests"], "monitor_on": False}}),
		(
			"slow_requests",
			{"slow_requests": {**GOOD["slow_requests"], "slow": 1, "slow_paths": [{**SLOW, "count": 1}]}},
		),
		(
			"pagination",
			{
				"unbounded_queries": {
					"source_off": True,
					"note": "No workload source is on.",
					"statements": [],
				}
			},
		),
		("db_connections", {"mariadb": {**MARIADB_OK, "max_used_connections": 140}}),
		("db_connections", {"mariadb": {**MARIADB_OK, "max_connections": 30}}),
		("job_monitoring", {"scheduler": {**SCHEDULER_OK, "oldest_due": {"job": "x", "lag_s": 3600}}}),
	],
)
def test_warnings_are_states_that_need_a_look_but_do_not_fail(name, change):
	"""Over-provisioned web workers, an unbounded cache, a low hit rate, one-off slow requests... warn."""
	line = lines_of({**GOOD, **change})[name]
	assert line["status"] == "warning", line
	assert line["action"] or name == "pagination"


def test_stall_check_that_stopped_ticking_fails_job_monitoring():
	"""A stall check whose Scheduled Job Type last ran an hour ago (interval 5 min) fails the line."""
	stale = {"stopped": 0, "last_execution": NOW - timedelta(hours=1), "interval_minutes": 5}
	line = lines_of({**GOOD, "stall_check": stale})["job_monitoring"]
	assert line["status"] == "failing"
	assert "last ran" in line["evidence"]
	assert lines_of({**GOOD, "stall_check": None})["job_monitoring"]["status"] == "failing"


def run(**change) -> dict:
	return {**RUN_OK, **change}


@pytest.mark.parametrize(
	"runs, status, evidence",
	[
		(None, "failing", "no load test recorded"),
		([], "failing", "no load test recorded"),
		([run()], "ok", "LTR-0001: Pass at 2x peak of Peak 2026"),
		([run(sla_verdict="Fail")], "failing", "no passed run at 2x peak; latest: LTR-0001: Fail"),
		([run(peak_multiplier=1.5)], "warning", "below 2x peak"),
		([run(started_at=NOW - timedelta(days=45))], "warning", "older than 30 days"),
		(
			[run(name="LTR-0002", sla_verdict="Fail", started_at=NOW - timedelta(days=1)), run()],
			"ok",
			"LTR-0001: Pass",
		),
	],
)
def test_load_test_line_from_run_dicts(runs, status, evidence):
	"""A Pass at 2x peak or more within N days is ok; too old or too light warns; none, or only failures, fails."""
	result = readiness.load_test_line(runs, NOW, 30)
	assert result["status"] == status
	assert evidence in result["evidence"]


def test_a_fact_that_could_not_be_read_fails_only_its_lines():
	"""An unreachable queue Redis fails the lines it feeds, says why, and the others still answer."""
	down = {"error": "queue Redis at 127.0.0.1:1 refused the connection", "service": "queue Redis"}
	lines = lines_of({**GOOD, "queue_redis": down, "live_workers": down})
	assert lines["redis_memory"]["status"] == lines["background_workers"]["status"] == "failing"
	assert "refused the connection" in lines["redis_memory"]["evidence"]
	assert lines["caching"]["status"] == "ok"
	assert readiness_facts.unavailable({"queue_redis": down, "model": None}) == {"queue Redis": down["error"]}


def test_gather_reads_real_state_from_a_site_database_and_redis(
	site_db, database_name, redis_client, private_redis
):
	"""From real tables and Redis: a model and a passed run are found, a Redis that evicts fails as queue."""
	insert(site_db, "tabSingles", doctype="System Settings", field="enable_scheduler", value="1")
	assert (
		lines_for(site_db, database_name, redis_client, redis_client)["capacity_model"]["status"] == "failing"
	)
	insert(
		site_db,
		"tabCapacity Model",
		name="Peak 2026",
		computed_at=NOW,
		result_json=json.dumps(
			{
				"recommendation": {
					"gunicorn_workers": MODEL["gunicorn"],
					"background": MODEL["background"],
					"db_pool": MODEL["db_pool"],
				}
			}
		),
	)
	lines = lines_for(site_db, database_name, redis_client, redis_client)
	assert lines["capacity_model"]["status"] == "ok"
	assert "model pool minimum 20" in lines["db_connections"]["evidence"]
	assert lines["load_test"]["evidence"] == "no load test recorded"
	private_redis.config_set("maxmemory-policy", "allkeys-lru")
	assert (
		lines_for(site_db, database_name, redis_client, private_redis)["redis_memory"]["status"] == "failing"
	)
	private_redis.config_set("maxmemory-policy", "noeviction")
	assert (
		lines_for(site_db, database_name, redis_client, private_redis)["redis_memory"]["status"] != "failing"
	)


def test_gather_reads_load_test_runs_only_when_the_doctype_exists(site_db, database_name, redis_client):
	"""Without a Load Test Run DocType the line fails as unrecorded; with it, a recent pass at 2x is ok."""
	assert lines_for(site_db, database_name, redis_client, redis_client)["load_test"]["status"] == "failing"
	with site_db.cursor() as cur:
		cur.execute(
			"CREATE TABLE `tabLoad Test Run` (name VARCHAR(140) PRIMARY KEY, started_at DATETIME(6), "
			"peak_multiplier DECIMAL(21,9), sla_verdict VARCHAR(140), capacity_model VARCHAR(140))"
		)
	insert(site_db, "tabDocType", name="Load Test Run")
	for n in range(12):
		insert(
			site_db,
			"tabLoad Test Run",
			name=f"fail-{n}",
			started_at=NOW - timedelta(hours=n),
			peak_multiplier=2,
			sla_verdict="Fail",
			capacity_model=None,
		)
	line = lines_for(site_db, database_name, redis_client, redis_client)["load_test"]
	assert (line["status"], line["evidence"][:34]) == ("failing", "no passed run at 2x peak; latest: ")
	insert(
		site_db,
		"tabLoad Test Run",
		name="pass",
		started_at=NOW - timedelta(days=2),
		peak_multiplier=2.5,
		sla_verdict="Pass",
		capacity_model="Peak 2026",
	)
	line = lines_for(site_db, database_name, redis_client, redis_client)["load_test"]
	assert line["status"] == "ok"
	assert line["evidence"].startswith("pass: Pass at 2.5x peak of Peak 2026")


def lines_for(db, schema: str, cache, queue) -> dict:
	sources = readiness_facts.Sources(
		db=db,
		schema=schema,
		cache=cache,
		queue=queue,
		queue_names={"default": "default"},
		bench_config={"gunicorn_workers": 3},
		site_conf={},
		cache_prefix=f"{schema}|",
		monitor_log=None,
		site=None,
	)
	return lines_of(readiness_facts.gather(sources, Settings(), NOW))


def test_cli_exits_1_when_a_line_fails_and_prints_every_line(
	site_db, database_name, redis_db, monkeypatch, capsys
):
	"""`perf-engine readiness --json` prints all eleven lines and exits 1 on an empty site (no model)."""
	db = mariadb_settings()
	for name in ("db_host", "db_port", "db_user", "db_password"):
		monkeypatch.setenv(f"PERF_ENGINE_{name.upper()}", str(getattr(db, name)))
	monkeypatch.setenv("PERF_ENGINE_DB_NAME", database_name)
	url = ["--redis-cache-url", redis_db.url, "--redis-queue-url", redis_db.url]
	code = main([*url, "--json", "readiness"])
	answer = json.loads(capsys.readouterr().out)
	assert code == 1
	assert [line["line"] for line in answer["lines"]] == list(readiness.LABELS)
	assert {line["line"]: line["status"] for line in answer["lines"]}["capacity_model"] == "failing"


def test_cli_exits_3_naming_a_redis_that_is_down_once(site_db, database_name, monkeypatch, capsys):
	"""With the queue and cache Redis unreachable the lines they feed fail, and each service is named on one line."""
	db = mariadb_settings()
	for name in ("db_host", "db_port", "db_user", "db_password"):
		monkeypatch.setenv(f"PERF_ENGINE_{name.upper()}", str(getattr(db, name)))
	monkeypatch.setenv("PERF_ENGINE_DB_NAME", database_name)
	closed = f"redis://127.0.0.1:{free_port()}/0"
	code = main(["--redis-cache-url", closed, "--redis-queue-url", closed, "--json", "readiness"])
	out, err = capsys.readouterr()
	assert code == 3
	lines = {line["line"]: line for line in json.loads(out)["lines"]}
	assert lines["redis_memory"]["status"] == lines["caching"]["status"] == "failing"
	assert lines["capacity_model"]["evidence"] == "no Capacity Model on this site"
	assert len(err.strip().splitlines()) == 2, err  # the cache Redis and the queue Redis, once each
	assert "Traceback" not in err


def test_cli_refuses_without_a_site_database(capsys, monkeypatch):
	"""Without a database name the command exits 2 with one line saying what to pass."""
	monkeypatch.delenv("PERF_ENGINE_DB_NAME", raising=False)
	assert main(["readiness"]) == 2
	assert "pass --bench and --site" in capsys.readouterr().err


def test_datetime_facts_are_compared_in_site_time():
	"""The stall check's last run is compared with the `now` the facts carry, not the process clock."""
	recent = {"stopped": 0, "last_execution": datetime(2020, 1, 1, 11, 59), "interval_minutes": 5}
	facts = {**GOOD, "now": datetime(2020, 1, 1, 12, 0), "stall_check": recent}
	assert lines_of(facts)["job_monitoring"]["status"] == "ok"


def test_slow_requests_are_counted_per_path_from_the_monitor_list_and_log(redis_client, tmp_path):
	"""Entries over 500 ms count per path, from Redis and the shared log, this site only, inside the hour."""
	now = datetime.now(timezone.utc)
	prefix = "pe_ihr|"
	for n in range(3):
		redis_client.rpush(
			prefix + MONITOR_KEY, monitor_entry("request", now - timedelta(minutes=n), 2.0, "/slow", "s")
		)
	redis_client.rpush(prefix + MONITOR_KEY, monitor_entry("request", now, 0.1, "/fast", "s"))
	redis_client.rpush(prefix + MONITOR_KEY, monitor_entry("job", now, 9.0, "app.job", "s"))
	log = tmp_path / "monitor.json.log"
	log.write_text(
		"\n".join(
			[
				monitor_entry("request", now - timedelta(hours=2), 5.0, "/old", "s"),
				monitor_entry("request", now - timedelta(minutes=5), 0.9, "/other-site", "t"),
				monitor_entry("request", now - timedelta(minutes=5), 0.7, "/report", "s"),
			]
		)
		+ "\n"
	)
	found = slow_requests.read(redis_client, prefix, str(log), "s", True, now)
	assert (found["requests"], found["slow"]) == (5, 4)
	assert found["slow_paths"] == [
		{"path": "/slow", "count": 3, "max_s": 2.0},
		{"path": "/report", "count": 1, "max_s": 0.7},
	]
	assert lines_of({**GOOD, "slow_requests": found})["slow_requests"]["status"] == "failing"


def test_slow_requests_since_a_moment_leave_out_what_came_before(redis_client):
	"""Narrowed to the requests since a moment (a deploy), slow paths before it no longer count and the
	line is ok with fast requests after it; a moment before the hour keeps the hour."""
	now = datetime.now(timezone.utc)
	prefix = "pe_since|"
	for minutes, seconds, path in (
		(30, 2.0, "/before"),
		(20, 2.0, "/before"),
		(10, 2.0, "/before"),
		(5, 0.1, "/fast"),
	):
		redis_client.rpush(
			prefix + MONITOR_KEY,
			monitor_entry("request", now - timedelta(minutes=minutes), seconds, path, "s"),
		)
	whole_hour = slow_requests.read(redis_client, prefix, None, "s", True, now)
	assert lines_of({**GOOD, "slow_requests": whole_hour})["slow_requests"]["status"] == "failing"
	deploy = now - timedelta(minutes=8)
	since = slow_requests.read(redis_client, prefix, None, "s", True, now, since=deploy)
	assert (since["requests"], since["slow"], since["since"]) == (1, 0, deploy.isoformat(timespec="seconds"))
	line = lines_of({**GOOD, "slow_requests": since})["slow_requests"]
	assert (line["status"], line["evidence"]) == (
		"ok",
		f"0 of 1 request(s) over 500 ms since {since['since']}",
	)
	long_ago = slow_requests.read(redis_client, prefix, None, "s", True, now, since=now - timedelta(days=1))
	assert (long_ago["requests"], long_ago["since"]) == (4, None)


def test_requests_since_is_read_as_an_iso_time_in_the_given_zone():
	"""A naive time is in the zone given, an offset wins; unreadable text or a future time is refused."""
	now = datetime(2026, 11, 23, 18, 0, tzinfo=timezone.utc)
	plus_one = timezone(timedelta(hours=1))
	assert slow_requests.parse_since("2026-11-23T18:30", plus_one, now) == datetime(
		2026, 11, 23, 17, 30, tzinfo=timezone.utc
	)
	assert slow_requests.parse_since("2026-11-23 17:00:00+00:00", plus_one, now) == datetime(
		2026, 11, 23, 17, 0, tzinfo=timezone.utc
	)
	with pytest.raises(InvalidInput, match="is not an ISO date-time"):
		slow_requests.parse_since("after lunch", plus_one, now)
	with pytest.raises(InvalidInput, match="is in the future"):
		slow_requests.parse_since("2026-11-23T18:01Z", plus_one, now)


def test_cli_refuses_an_unreadable_requests_since(capsys):
	"""`readiness --requests-since` that is no date-time exits 2 with one line, before any connection."""
	assert main(["readiness", "--requests-since", "yesterday"]) == 2
	err = capsys.readouterr().err
	assert "is not an ISO date-time" in err
	assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
	"sql, unbounded",
	[
		("SELECT name, status FROM `tabToDo` WHERE status = 'Open'", True),
		("SELECT name FROM `tabToDo` WHERE status = %s ORDER BY modified DESC LIMIT 20", False),
		("SELECT COUNT(*) FROM `tabToDo`", False),
		("SELECT status, COUNT(*) FROM `tabToDo` GROUP BY status", True),
		("UPDATE `tabToDo` SET status = 'Closed'", False),
		("SELECT 1", False),
		("SELECT name FROM `tabToDo` WHERE description LIKE '", False),
	],
)
def test_unbounded_list_queries_are_selects_without_limit(sql, unbounded):
	"""A SELECT returning rows with no LIMIT is unbounded; a page, one aggregate row or unreadable text is not."""
	assert unbounded_queries.is_unbounded_list(sql) is unbounded


def test_unbounded_list_queries_are_found_in_the_real_slow_log(db, database_name):
	"""From the slow log (on for a moment, then restored): a list read of 2,000 rows without LIMIT is found,
	the same read with LIMIT and a COUNT are not."""
	with db.cursor() as cur:
		cur.execute("CREATE TABLE `tabReadiness Row` (name INT PRIMARY KEY, status VARCHAR(20))")
		cur.execute("INSERT INTO `tabReadiness Row` SELECT seq, 'Open' FROM seq_1_to_2000")
		cur.execute("SELECT @@global.slow_query_log, @@global.log_output, @@global.long_query_time")
		saved = cur.fetchone()
		cur.execute("SET GLOBAL slow_query_log = 1, log_output = 'TABLE', long_query_time = 0")
	try:
		probe = connect_database(database_name)
		with probe.cursor() as cur:
			cur.execute("SELECT name, status FROM `tabReadiness Row` WHERE status = 'Open'")
			cur.execute("SELECT name, status FROM `tabReadiness Row` WHERE status = 'Open' LIMIT 20")
			cur.execute("SELECT COUNT(*) FROM `tabReadiness Row` WHERE status = 'Open'")
		probe.close()
		found = unbounded_queries.find(db, database_name)
	finally:
		with db.cursor() as cur:
			cur.execute("SET GLOBAL slow_query_log = %s, log_output = %s, long_query_time = %s", saved)
	assert not found["source_off"]
	assert [s["sql"] for s in found["statements"]] == [
		"SELECT name, status FROM `tabReadiness Row` WHERE status = 'Open'"
	]
	assert found["statements"][0]["rows_per_call"] >= 2000
	line = lines_of({**GOOD, "unbounded_queries": found})["pagination"]
	assert line["status"] == "failing"
