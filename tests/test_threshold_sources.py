"""Threshold sources: query classes from the slow log by database, job timeouts from RQ, checks with reasons."""

from datetime import datetime, timedelta, timezone

from rq import Queue

from perf_engine.core.latency import job_timeouts, query_classes, thresholds
from perf_engine.core.latency.monitor import MonitorWindow, Transaction
from tests.services import connect_database, temporary_database
from tests.test_jobs_stalls import wait_for

LIMITS_S = {"single_query": 0.1, "batch_query": 0.5, "count_query": 0.05}


def test_statements_are_classed_by_shape_and_rows_per_call():
	"""COUNT(...) before anything else; other data statements by rows per call; SET and COMMIT are no class."""
	assert query_classes.query_class("SELECT COUNT(*) AS total FROM `tabToDo`", 1) == "count_query"
	assert query_classes.query_class("/* x */ select count( distinct name) from t", 1) == "count_query"
	assert query_classes.query_class("select name from t where name = 'a'", 1) == "single_query"
	assert query_classes.query_class("SELECT name FROM t LIMIT 20", 20) == "batch_query"
	assert query_classes.query_class("UPDATE t SET a = 1", 300) == "batch_query"
	assert query_classes.query_class("SET autocommit = 0", 0) is None
	assert query_classes.query_class("COMMIT", 0) is None


def test_query_classes_come_from_the_slow_log_of_this_database_only(db, database_name):
	"""With the slow log on (table), each class is measured from this database's statements, not another's."""
	with db.cursor() as cur:
		cur.execute("SELECT @@global.slow_query_log, @@global.log_output, @@global.long_query_time")
		saved = cur.fetchone()
		cur.execute("CREATE TABLE t (name VARCHAR(20) PRIMARY KEY, n INT)")
		cur.executemany("INSERT INTO t VALUES (%s, %s)", [(f"r{i}", i) for i in range(50)])
	since = datetime.now(timezone.utc) - timedelta(seconds=2)
	try:
		with db.cursor() as cur:
			cur.execute("SET GLOBAL slow_query_log = 1, log_output = 'TABLE', long_query_time = 0")
		with temporary_database("pe_i15_other") as other_name:
			other = connect_database(other_name)
			with other.cursor() as cur:
				cur.execute("SELECT COUNT(*) FROM (SELECT SLEEP(0.3)) AS slow")
			other.close()
		probe = connect_database(database_name)
		with probe.cursor() as cur:
			cur.execute("SELECT COUNT(*) FROM (SELECT SLEEP(0.12)) AS slow")
			cur.execute("SELECT n FROM t WHERE name = 'r1'")
			cur.execute("SELECT name, n, SLEEP(0.01) FROM t")
		probe.close()
		found = query_classes.measure(db, database_name, since, LIMITS_S)
	finally:
		with db.cursor() as cur:
			cur.execute("SET GLOBAL slow_query_log = %s, log_output = %s, long_query_time = %s", saved)
	assert found.source == "slow query log" and found.hint is None
	assert found.measured["count_query"]["samples"] == 1
	assert 0.12 <= found.measured["count_query"]["seconds"] < 0.3, (
		"the other database's slow COUNT does not count"
	)
	assert found.measured["batch_query"]["seconds"] >= 0.5, "50 rows, 10 ms each"
	assert found.measured["single_query"]["samples"] >= 1


def test_without_a_workload_source_the_switch_is_named(db, database_name):
	"""Slow log and performance_schema off: nothing measured, and the hint is the exact statement to run."""
	with db.cursor() as cur:
		cur.execute("SELECT @@global.slow_query_log, @@global.performance_schema")
		slow, ps = cur.fetchone()
	if slow or ps:
		return
	found = query_classes.measure(db, database_name, datetime.now(timezone.utc), LIMITS_S)
	assert found.measured == {} and found.source is None
	assert "SET GLOBAL slow_query_log = 1, log_output = 'TABLE', long_query_time = 0.05" in found.hint


def test_a_job_killed_at_its_timeout_is_measured_for_its_site_only(redis_client, start_worker):
	"""A real worker kills a 1 s-timeout job; it counts for its site with its run time, not for another site."""
	start_worker(["bench:short"])
	queue = Queue("bench:short", connection=redis_client)
	since = datetime.now(timezone.utc) - timedelta(seconds=1)
	mine = queue.enqueue("tests.jobfuncs.sleep_for", 30, job_id="a.local::slow", job_timeout=1)
	theirs = queue.enqueue("tests.jobfuncs.sleep_for", 30, job_id="b.local::slow", job_timeout=2)
	wait_for(
		lambda: mine.get_status(refresh=True) == "failed" and theirs.get_status(refresh=True) == "failed", 30
	)
	found = job_timeouts.measure(redis_client, ["bench:short"], "a.local", since, [], 0)
	assert [j["job_id"] for j in found.timed_out] == ["a.local::slow"]
	assert found.timed_out[0]["timeout_s"] == 1 and 1 <= found.longest_s < 2
	assert found.samples == 1


def test_monitor_jobs_near_their_own_timeout_are_named(redis_client):
	"""The monitor's longest jobs are checked against the timeout their RQ hash holds."""
	redis_client.hset("rq:job:a.local::near", "timeout", 10)
	redis_client.hset("rq:job:a.local::far", "timeout", 100)
	at = datetime.now(timezone.utc)
	window = MonitorWindow.of(
		[
			Transaction("job", "app.near", at, 9.5, uuid="a.local::near"),
			Transaction("job", "app.far", at, 12.0, uuid="a.local::far"),
		],
		since=at - timedelta(minutes=1),
	)
	found = job_timeouts.measure(redis_client, [], "a.local", window.since, window.longest_jobs, 2)
	assert found.longest_s == 12.0 and found.samples == 2
	assert [(j["job_id"], j["timeout_s"]) for j in found.near_timeout] == [("a.local::near", 10.0)]


def test_every_threshold_has_a_source_and_an_unmeasured_one_says_why():
	"""All thirteen seeds are described; an unmeasured one names the switch that turns its source on."""
	assert set(thresholds.SOURCES) == {t.operation_type for t in thresholds.DEFAULT_THRESHOLDS}
	assert "monitor: 1" in thresholds.why_unmeasured("form_load", False, None)
	assert "No such work" in thresholds.why_unmeasured("form_load", True, None)
	assert thresholds.why_unmeasured("count_query", True, "set x").endswith("set x.")
	at = datetime.now(timezone.utc)
	window = MonitorWindow.of(
		[
			Transaction("request", "/api/method/frappe.desk.form.load.getdoc", at, 2.0),
			Transaction("request", "/api/method/frappe.desk.reportview.get", at, 0.3),
		],
		since=at,
	)
	limits = {t.operation_type: t for t in thresholds.DEFAULT_THRESHOLDS}
	report = thresholds.evaluate(limits, thresholds.measurements(window, {}, {}, 40.0, 3, (45.0, 7)))
	checks = {c["operation_type"]: c for c in report["checks"]}
	assert checks["form_load"]["actual"] == 2000 and checks["form_load"]["severity"] == "WARNING"
	assert checks["list_view_load"]["actual"] == 300 and not checks["list_view_load"]["violation"]
	assert checks["job_timeout"]["actual"] == 40 and checks["job_timeout"]["samples"] == 3
	assert checks["job_queue_wait"]["actual"] == 45 and checks["job_queue_wait"]["severity"] == "WARNING"
	assert checks["job_queue_wait"]["samples"] == 7
	assert "enable-scheduler" in thresholds.why_unmeasured("job_queue_wait", True, None)
	assert "report_generation" in report["unmeasured"]
