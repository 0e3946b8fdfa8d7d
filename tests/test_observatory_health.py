"""The database part of health and its metrics: the site's long statements, lock waits by age, deadlocks
of the last hour, judged once in the core and rendered as gauges without a per-query series."""

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from perf_engine.core.health import metrics
from perf_engine.core.health import rules as health
from perf_engine.core.health.figures import collect
from perf_engine.core.settings import Settings
from tests.observatory_helpers import (
	Background,
	closing_all,
	connect_as,
	create_site_user,
	drop_user,
	wait_until,
)
from tests.services import mariadb_settings
from tests.site_tables import NOW, insert

DEADLOCK_TABLE = "CREATE TABLE `tabDeadlock` (name VARCHAR(140) PRIMARY KEY, detected_on DATETIME(6), KEY detected_on (detected_on))"


def facts(**given) -> dict:
	return {
		"threshold_s": 5,
		"long_queries": 0,
		"longest_query_s": 0,
		"lock_waits": 0,
		"longest_lock_wait_s": 0,
		"idle_in_transaction": 0,
		"deadlocks_last_hour": 0,
		"notes": [],
	} | given


def test_lock_waits_are_judged_by_age_and_long_statements_and_deadlocks_warn():
	"""A 4 s wait is fine, 5 s warns, 30 s is critical; any long statement or recent deadlock warns."""
	judge = lambda **given: health.database(facts(**given), Settings())  # noqa: E731
	assert judge()["status"] == "ok"
	assert judge(lock_waits=1, longest_lock_wait_s=4)["status"] == "ok"
	assert judge(lock_waits=1, longest_lock_wait_s=5)["status"] == "warning"
	critical = judge(lock_waits=2, longest_lock_wait_s=30)
	assert critical["status"] == "critical" and "Running Queries" in critical["action"]
	assert judge(long_queries=3, longest_query_s=12)["reason"].startswith(
		"3 statement(s) running 5 s or longer"
	)
	assert judge(deadlocks_last_hour=1)["status"] == "warning"
	assert [c["check"] for c in judge(deadlocks_last_hour=None)["checks"]] == ["long_queries", "lock_waits"]


def test_the_sites_database_is_gathered_with_the_other_parts_and_rendered(db, database_name, redis_client):
	"""A long statement of the site and a deadlock stored 10 minutes ago: the part warns, the gauges say so."""
	with db.cursor() as cur:
		cur.execute(DEADLOCK_TABLE)
	insert(db, "tabDeadlock", name="d1", detected_on=NOW - timedelta(minutes=10))
	insert(db, "tabDeadlock", name="d0", detected_on=NOW - timedelta(hours=2))
	server = mariadb_settings()
	user, password = create_site_user(db, database_name)
	site_conn = connect_as(server.db_host, server.db_port, user, password, database_name)
	worker = connect_as(server.db_host, server.db_port, user, password, database_name)
	try:
		with closing_all(site_conn, worker):
			sleeping = Background(worker, "SELECT SLEEP(4)").start()
			settings = Settings(running_query_seconds=1)
			found = wait_until(
				lambda: (
					(
						f := collect(
							queue=redis_client,
							queue_names={"default": "default"},
							cache=redis_client,
							settings=settings,
							now=NOW,
							db=site_conn,
						)
					)["database"]
					and f["database"]["long_queries"]
					and f
				)
			)
			part = found["health"]["subsystems"]["database"]
			assert found["database"]["deadlocks_last_hour"] == 1
			assert part["status"] == "warning"
			assert {c["check"]: c["status"] for c in part["checks"]} == {
				"long_queries": "warning",
				"lock_waits": "ok",
				"deadlocks_last_hour": "warning",
			}
			gauges = {
				sample.name: sample.value
				for family in text_string_to_metric_families(metrics.render(found).decode())
				for sample in family.samples
				if sample.name.startswith("perf_engine_db_")
			}
			assert gauges["perf_engine_db_long_queries"] == 1
			assert gauges["perf_engine_db_deadlocks_last_hour"] == 1
			assert gauges["perf_engine_db_lock_waits"] == 0
			sleeping.join()
	finally:
		drop_user(db, user)
