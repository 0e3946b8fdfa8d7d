"""What perf_engine itself costs, measured on real Redis and MariaDB: the ledger its jobs keep, its keys
by family within a bounded scan, its own connections, the rows its jobs wrote, the verdict, the metrics
and `perf-engine footprint`."""

import json
import time
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from perf_engine.cli import main
from perf_engine.core.cache.own_connection import OwnConnection
from perf_engine.core.connections import CACHE_REDIS, service_redis
from perf_engine.core.footprint import ledger, redis_keys, report, rows
from perf_engine.core.health import footprint_rules
from perf_engine.core.health.figures import collect
from perf_engine.core.health.metrics import render
from perf_engine.core.settings import Settings
from tests.services import mariadb_settings
from tests.site_tables import insert
from tests.test_observatory_cli import as_site

NS = "_fp_site|"
NOW = time.time()
SITE_NOW = datetime(2026, 12, 7, 12, 0)
HISTORY_TABLE = "CREATE TABLE `tabPerf Snapshot` (name VARCHAR(140) PRIMARY KEY, modified DATETIME(6), KEY modified (modified))"


def facts(**changes) -> dict:
	"""Figures of a quiet perf_engine (24 ticks' worth of work), with `changes` applied."""
	quiet_redis = {
		"keys": 10,
		"bytes": 4096,
		"complete": True,
		"families": {},
		"maxmemory": 0,
		"maxclients": 10_000,
	}
	return {
		"jobs": [],
		"jobs_per_day": 360,
		"worker_seconds_per_day": 72.0,
		"log_rows_per_day": 25,
		"history_rows_per_day": 288,
		"history_rows": {},
		"tables": {},
		"cache_redis": quiet_redis,
		"queue_redis": quiet_redis,
		"own_connections": 4,
		"bench_passes_per_day": 360,
	} | changes


def test_the_ledger_sums_the_last_24_hours_of_each_job(redis_client):
	"""Runs and worker time add up by job over this hour and the 23 before; older hours are left out."""
	ledger.record_job(redis_client, NS, "tick", 0.25, NOW)
	ledger.record_job(redis_client, NS, "tick", 0.5, NOW - 23 * 3600)
	ledger.record_job(redis_client, NS, "tick", 9.0, NOW - 25 * 3600)
	ledger.record_job(redis_client, NS, "warm_caches", 2.0, NOW - 3600)
	ledger.record_job(redis_client, "_other_site|", "tick", 5.0, NOW)
	assert ledger.read_jobs(redis_client, NS, NOW) == {
		"tick": {"runs": 2, "seconds": 0.75},
		"warm_caches": {"runs": 1, "seconds": 2.0},
	}
	key = NS + ledger.JOBS.format(ledger.hour_of(NOW))
	assert 24 * 3600 < redis_client.ttl(key) <= ledger.KEEP_S


def test_bench_passes_are_counted_once_for_the_bench(redis_client):
	"""Every site reads the same bench-wide count; a pass older than a day is gone from it."""
	for moment in (NOW, NOW, NOW - 3600, NOW - 30 * 3600):
		ledger.record_bench_pass(redis_client, moment)
	assert ledger.read_bench_passes(redis_client, NOW) == 3


def test_keys_are_counted_and_sized_by_family_for_one_site_only(redis_client):
	"""The site's own perf_engine keys by family, sized with MEMORY USAGE; another site's and other keys
	are not counted."""
	for n in range(30):
		redis_client.set(f"{NS}perf_engine:doc:ToDo:T-{n}", "x" * 100)
	redis_client.set(f"{NS}perf_engine:gen:ToDo", 3)
	redis_client.set(f"{NS}perf_engine:something_new", 1)
	redis_client.set("_fp_other|perf_engine:doc:ToDo:T-1", "x")
	redis_client.set(f"{NS}frappe_key", "x")
	found = redis_keys.scan(redis_client, NS, redis_keys.CACHE_FAMILIES)
	assert found.complete
	assert {name: f["keys"] for name, f in found.families.items()} == {
		"cached documents": 30,
		"generation counters": 1,
		"other": 1,
	}
	sizes = [redis_client.memory_usage(f"{NS}perf_engine:doc:ToDo:T-{n}") for n in range(30)]
	assert found.families["cached documents"]["bytes"] == sum(sizes)


def test_a_big_keyspace_is_walked_a_bounded_number_of_times_and_says_so(redis_client):
	"""With more keys than the calls allowed can reach, the scan stops and calls itself incomplete, its
	counts a lower bound; sizes come from a sample of each family."""
	with redis_client.pipeline(transaction=False) as pipe:
		for n in range(5000):
			pipe.set(f"{NS}perf_engine:list:ToDo:1:{n}", "x")
		pipe.execute()
	found = redis_keys.scan(redis_client, NS, redis_keys.CACHE_FAMILIES, max_calls=2)
	assert not found.complete
	assert 0 < found.families["cached lists"]["keys"] < 5000
	whole = redis_keys.scan(redis_client, NS, redis_keys.CACHE_FAMILIES)
	assert whole.complete and whole.families["cached lists"]["keys"] == 5000


@given(st.text(max_size=80))
def test_any_key_has_one_family(key):
	"""A key of any text falls in exactly one family, "other" when no prefix fits."""
	family = redis_keys.family_of(key, redis_keys.CACHE_FAMILIES)
	names = {name for name, _ in redis_keys.CACHE_FAMILIES} | {redis_keys.OTHER}
	assert family in names
	assert (family == redis_keys.OTHER) == (not any(key.startswith(p) for _, p in redis_keys.CACHE_FAMILIES))


def test_a_process_own_connection_is_counted_by_its_name(private_redis):
	"""The after-commit invalidation's own connection names itself; CLIENT LIST counts it, and no longer
	once it is closed."""
	client = service_redis(private_redis.connection_pool, CACHE_REDIS, "redis_cache")
	assert redis_keys.own_connections(private_redis) == 0
	own = OwnConnection(client)
	own.command("PING")
	assert redis_keys.own_connections(private_redis) == 1
	own.drop()
	assert redis_keys.own_connections(private_redis) == 0


def test_rows_count_perf_engines_log_rows_and_history_of_the_last_day(site_db):
	"""Only Scheduled Job Log rows of perf_engine's job types written in the day count; history tables count
	their rows of the day; a history table the database lacks is left out."""
	insert(
		site_db,
		"tabScheduled Job Type",
		name="tick.run_due",
		method="perf_engine.tasks.tick.run_due",
		frequency="All",
	)
	insert(
		site_db,
		"tabScheduled Job Type",
		name="warm_caches",
		method="perf_engine.tasks.cache.warm_caches",
		frequency="Hourly Long",
	)
	insert(
		site_db, "tabScheduled Job Type", name="perfXengine", method="perfXengine.tasks.x", frequency="Hourly"
	)
	insert(site_db, "tabScheduled Job Type", name="flush", method="frappe.email.queue.flush", frequency="All")
	for n, (job_type, age_h) in enumerate(
		[("warm_caches", 1), ("warm_caches", 2), ("warm_caches", 30), ("flush", 1), ("perfXengine", 1)]
	):
		insert(
			site_db,
			"tabScheduled Job Log",
			name=f"L{n}",
			scheduled_job_type=job_type,
			modified=SITE_NOW - timedelta(hours=age_h),
		)
	with site_db.cursor() as cur:
		cur.execute(HISTORY_TABLE)
	for n, age_h in enumerate((1, 5, 48)):
		insert(site_db, "tabPerf Snapshot", name=f"S{n}", modified=SITE_NOW - timedelta(hours=age_h))
	since = SITE_NOW - timedelta(days=1)
	assert rows.log_rows(site_db, since) == 2
	assert rows.history_rows(site_db, since) == {"Perf Snapshot": 2}
	assert set(rows.table_sizes(site_db)) == {
		"Perf Snapshot",
		"Stalled Job",
		"Threshold Violation",
		"Index Recommendation",
	}


def test_each_check_warns_at_its_limit_and_not_below():
	"""Every check is ok just under its warning limit, warning at it, critical at its critical limit."""
	cases = {
		"jobs_per_day": ("jobs_per_day", footprint_rules.JOBS_PER_DAY),
		"worker_seconds_per_day": ("worker_seconds_per_day", footprint_rules.WORKER_SECONDS_PER_DAY),
		"log_rows_per_day": ("log_rows_per_day", footprint_rules.LOG_ROWS_PER_DAY),
		"history_rows_per_day": ("history_rows_per_day", footprint_rules.HISTORY_ROWS_PER_DAY),
	}
	assert footprint_rules.footprint(facts(), Settings())["status"] == "ok"
	for check, (field, (warning, critical)) in cases.items():
		for value, status in ((warning - 1, "ok"), (warning, "warning"), (critical, "critical")):
			verdict = footprint_rules.footprint(facts(**{field: value}), Settings())
			found = next(c for c in verdict["checks"] if c["check"] == check)
			assert (found["status"], found["value"], found["limit"]) == (status, value, warning), check


def test_redis_bytes_are_judged_against_maxmemory_when_the_server_has_one():
	"""A quarter of maxmemory warns, half is critical; without maxmemory the fixed sizes apply."""

	def status(bytes_: int, maxmemory: int) -> str:
		cache = facts()["cache_redis"] | {"bytes": bytes_, "maxmemory": maxmemory}
		checks = footprint_rules.footprint(facts(cache_redis=cache), Settings())["checks"]
		return next(c["status"] for c in checks if c["check"] == "cache_redis_bytes")

	assert [status(b, 1000) for b in (249, 250, 500)] == ["ok", "warning", "critical"]
	assert status(600 * 2**20, 0) == "warning"
	connections = footprint_rules.footprint(facts(own_connections=1000), Settings())["checks"]
	assert next(c["status"] for c in connections if c["check"] == "own_connections") == "warning"


def test_the_health_overview_and_metrics_carry_perf_engine_itself(site_db, redis_client):
	"""figures.collect reads the part, health judges it, and the metrics show the ledger's jobs, the
	families and the bench-wide connection count."""
	with site_db.cursor() as cur:
		cur.execute("SELECT DATABASE()")
		namespace = f"{cur.fetchone()[0]}|"
	ledger.record_job(redis_client, namespace, "tick", 0.2, time.time())
	redis_client.set(f"{namespace}perf_engine:doc:ToDo:T-1", "x")
	found = collect(
		queue=redis_client,
		queue_names={},
		cache=redis_client,
		settings=Settings(),
		now=datetime.now(),
		db=site_db,
	)
	assert found["footprint"]["jobs"] == [{"job": "tick", "runs": 1, "seconds": 0.2}]
	assert found["health"]["subsystems"]["footprint"]["status"] == "ok"
	text = render(found).decode()
	assert 'perf_engine_self_jobs_per_day{job="tick"} 1.0' in text
	assert 'perf_engine_self_redis_keys{family="cached documents",redis="cache"} 1.0' in text
	assert "perf_engine_self_redis_connections " in text


def test_the_cli_prints_the_figures_and_exits_1_past_a_limit(site_db, redis_db, capsys):
	"""`perf-engine --json footprint` answers the report's shape; a day of too many runs exits 1."""
	with site_db.cursor() as cur:
		cur.execute("SELECT DATABASE()")
		database = cur.fetchone()[0]
	server = mariadb_settings()
	argv = as_site(
		server.db_user,
		server.db_password,
		database,
		*("--redis-cache-url", redis_db.url, "--redis-queue-url", redis_db.url, "--json", "footprint"),
	)
	ledger.record_job(redis_db.client, f"{database}|", "tick", 0.2, time.time())
	assert main(argv) == 0
	answer = json.loads(capsys.readouterr().out)
	assert answer["jobs"] == [{"job": "tick", "runs": 1, "seconds": 0.2}]
	assert answer["health"]["status"] == "ok"
	for _ in range(footprint_rules.JOBS_PER_DAY[0]):
		ledger.record_job(redis_db.client, f"{database}|", "tick", 0.0, time.time())
	assert main(argv) == 1
	checks = json.loads(capsys.readouterr().out)["health"]["checks"]
	assert next(c["status"] for c in checks if c["check"] == "jobs_per_day") == "warning"
	redis_db.reset()


def test_report_reads_every_figure_on_a_site_database(site_db, redis_client):
	"""The report answers on a site database with perf_engine's tables, every figure present."""
	found = report.read(redis_client, redis_client, site_db, time.time(), datetime.now())
	assert set(found) == set(facts())


def test_the_key_scan_is_kept_five_minutes_so_scrapes_do_not_repeat_it(redis_client):
	"""A second read within SCAN_KEEP_S answers from the kept scan; once it expires the keys are scanned again."""
	redis_client.set(f"{NS}perf_engine:doc:ToDo:T-1", "x")
	first = report.redis_figures(redis_client, NS, redis_keys.CACHE_FAMILIES)
	redis_client.set(f"{NS}perf_engine:doc:ToDo:T-2", "x")
	assert report.redis_figures(redis_client, NS, redis_keys.CACHE_FAMILIES)["families"] == first["families"]
	assert 0 < redis_client.ttl(NS + report.SCAN_KEY) <= report.SCAN_KEEP_S
	redis_client.delete(NS + report.SCAN_KEY)
	again = report.redis_figures(redis_client, NS, redis_keys.CACHE_FAMILIES)
	assert again["families"]["cached documents"]["keys"] == 2
