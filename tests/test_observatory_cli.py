"""`perf-engine queries running|top` and `perf-engine deadlocks` from a shell: JSON shapes, exit codes,
kills refused or recorded."""

import json

import pytest

from perf_engine.cli import main
from perf_engine.core.observatory import slow_log_digest
from tests.observatory_helpers import (
	Background,
	closing_all,
	connect_as,
	create_site_user,
	drop_user,
	wait_until,
)
from tests.services import connect_database, mariadb_settings
from tests.test_observatory_kill import running_statement
from tests.test_observatory_slow_log_digest import BANNER, entry
from tests.test_observatory_top_queries import WORKLOAD, logged, run_workload, shop, slow_log_file

KILL_LOG_TABLE = (
	"CREATE TABLE `tabQuery Kill Log` (name VARCHAR(140) PRIMARY KEY, creation DATETIME(6), modified DATETIME(6), "
	"modified_by VARCHAR(140), owner VARCHAR(140), docstatus INT, idx INT, killed_at DATETIME(6), killed_by VARCHAR(140), "
	"outcome VARCHAR(140), source VARCHAR(140), thread_id INT, query_id BIGINT, db_user VARCHAR(140), running_s DOUBLE, "
	"statement LONGTEXT, message TEXT)"
)
TOP_FIELDS = {
	"fingerprint",
	"count",
	"total_time_s",
	"avg_time_s",
	"p95_time_s",
	"max_time_s",
	"rows_examined",
	"rows_sent",
	"example",
	"tables",
	"suggested_index",
}


def as_site(user: str, password: str, database: str, *args: str) -> list[str]:
	server = mariadb_settings()
	return [
		"--db-host",
		server.db_host,
		"--db-port",
		str(server.db_port),
		"--db-user",
		user,
		"--db-password",
		password,
		*args,
		"--database",
		database,
	]


def test_top_from_a_slow_log_file_answers_the_documented_json(private_mariadb, shop, slow_log_file, capsys):  # noqa: F811
	"""`--json queries top --since ... --slow-log FILE`: ranked by total time, every documented field."""
	run_workload(private_mariadb, shop)
	logged(private_mariadb, slow_log_file)
	code = main(
		[
			"--json",
			"queries",
			"top",
			"--since",
			"2000-01-01 00:00",
			"--slow-log",
			str(slow_log_file),
			"--no-index",
			"--database",
			shop,
		]
	)
	assert code == 0
	answer = json.loads(capsys.readouterr().out)
	assert answer["queries"] and all(TOP_FIELDS <= set(q) for q in answer["queries"])
	totals = [q["total_time_s"] for q in answer["queries"]]
	assert totals == sorted(totals, reverse=True)
	assert sum(q["count"] for q in answer["queries"]) <= sum(count for count, _ in WORKLOAD) + 1


def test_a_bad_since_is_one_line_and_exit_2(capsys):
	"""An unreadable --since is refused with one line, no traceback."""
	assert main(["queries", "top", "--since", "yesterday-ish", "--slow-log", "/dev/null"]) == 2
	err = capsys.readouterr().err
	assert err.count("\n") == 1 and "not hour, day, week" in err


def test_running_kill_stops_the_sites_statement_records_it_and_refuses_another_users(
	db, database_name, capsys
):
	"""--kill of the site's own sleep stops it and writes a Query Kill Log row; root's thread is refused (exit 2)."""
	with db.cursor() as cur:
		cur.execute(KILL_LOG_TABLE)
	user, password = create_site_user(db, database_name)
	server = mariadb_settings()
	worker = connect_as(server.db_host, server.db_port, user, password, database_name)
	try:
		with closing_all(worker):
			sleeping = Background(worker, "SELECT SLEEP(30)").start()
			wait_until(lambda: running_statement(db, sleeping.thread_id, for_ms=100))
			assert (
				main(as_site(user, password, database_name, "queries", "running", "--threshold", "0.05")) == 1
			)
			assert str(sleeping.thread_id) in capsys.readouterr().out
			with pytest.raises(SystemExit):
				main(as_site(user, password, database_name, "queries", "running", "--kill"))
			assert (
				main(
					as_site(
						user, password, database_name, "queries", "running", "--kill", str(sleeping.thread_id)
					)
				)
				== 2
			)
			assert "needs --yes" in capsys.readouterr().err
			args = [
				"--json",
				*as_site(
					user,
					password,
					database_name,
					"queries",
					"running",
					"--kill",
					str(sleeping.thread_id),
					"--yes",
				),
			]
			assert main(args) == 0
			killed = json.loads(capsys.readouterr().out)
			sleeping.join(10)
			assert not sleeping.thread.is_alive()
			with db.cursor() as cur:
				cur.execute(
					"SELECT thread_id, statement, outcome, source FROM `tabQuery Kill Log` WHERE name = %s",
					(killed["log"],),
				)
				thread_id, statement, outcome, source = cur.fetchone()
			assert (thread_id, statement, outcome) == (sleeping.thread_id, "SELECT SLEEP(30)", "Stopped")
			assert source.startswith("perf-engine CLI (")
			root = connect_database(database_name)
			root_sleep = Background(root, "SELECT SLEEP(3)").start()
			wait_until(lambda: running_statement(db, root_sleep.thread_id))
			code = main(
				as_site(
					user,
					password,
					database_name,
					"queries",
					"running",
					"--kill",
					str(root_sleep.thread_id),
					"--yes",
				)
			)
			assert code == 2 and "not this site's" in capsys.readouterr().err
			root_sleep.join()
			root.close()
			assert root_sleep.error is None
	finally:
		drop_user(db, user)


def test_deadlocks_without_a_history_table_says_so(db, database_name, capsys):
	"""On a database without perf_engine's tables the command still answers, with what it could not read."""
	server = mariadb_settings()
	args = [
		"--json",
		"--db-host",
		server.db_host,
		"--db-port",
		str(server.db_port),
		"--db-user",
		server.db_user,
	]
	assert main([*args, "deadlocks", "--database", database_name]) in (0, 1)
	answer = json.loads(capsys.readouterr().out)
	assert answer["stored"] is None


def test_top_reads_a_slow_log_file_whole_with_a_progress_bar(tmp_path, capfd):
	"""The CLI reads the whole tail at once, newest first, with a bar on stderr; --json prints no bar."""
	path = tmp_path / "slow.log"
	path.write_text(BANNER + "".join(entry(n) for n in range(3000)))
	slow_log_digest.forget()
	args = [
		"queries",
		"top",
		"--since",
		"2000-01-01",
		"--slow-log",
		str(path),
		"--no-index",
		"--database",
		"site_a",
	]
	assert main(args) == 0
	out, err = capfd.readouterr()
	assert "3,000 execution(s)" in out and "reading the slow log (%)" in err and "100/100" in err
	slow_log_digest.forget()
	assert main(["--json", *args]) == 0
	out, err = capfd.readouterr()
	assert json.loads(out)["coverage"] == {"complete": True, "read_fraction": 1.0} and err == ""
