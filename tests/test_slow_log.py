"""The slow query log file reader: entries split on the log's own headers, a bounded tail,
statements grouped per schema for the workload analysis."""

from pathlib import Path

from perf_engine.core.indexes import slow_log, sql_text, workload
from perf_engine.core.indexes.sql import read
from tests.sql_corpus import slow_log as corpus

MARIADB_LOG = Path(__file__).parent / "fixtures" / "mariadb-10.11-slow.log"


def mysql_log(statements: list[str], schema: str = "_site1") -> str:
	"""A MySQL 8 slow log: `use` once, then entries without a Schema field."""
	parts = [
		"/usr/sbin/mysqld, Version: 8.0.36 (MySQL Community Server - GPL). started with:",
		"Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock",
		"Time                 Id Command    Argument",
	]
	for n, statement in enumerate(statements):
		parts += [
			f"# Time: 2025-03-31T10:00:{n % 60:02d}.123456Z",
			f"# User@Host: frappe[frappe] @ localhost []  Id:    {40 + n}",
			f"# Query_time: {n + 1}.500000  Lock_time: 0.000120 Rows_sent: 20  Rows_examined: {1000 * (n + 1)}",
		]
		if n == 0:
			parts.append(f"use {schema};")
		parts += ["SET timestamp=1743415200;", statement + ";"]
	return "\n".join(parts) + "\n"


def test_a_real_mariadb_slow_log_splits_into_whole_statements():
	"""MariaDB 10.11's own log: multi-line statements stay whole, `use` switches and the banner are not statements."""
	entries = list(slow_log.entries(MARIADB_LOG.read_text()))
	assert [(e.schema, e.sql.split()[0], e.rows_examined) for e in entries] == [
		("perf_engine_t_slowcap_a", "SET", 0),
		("perf_engine_t_slowcap_a", "select", 3),
		("perf_engine_t_slowcap_a", "UPDATE", 1),
		("perf_engine_t_slowcap_a", "SELECT", 2),
		("perf_engine_t_slowcap_b", "SELECT", 2),
		("perf_engine_t_slowcap_a", "SELECT", 2),
	]
	markdown = entries[2]
	assert markdown.query_time_s == 0.002791
	assert (
		"```sql\nselect * from `tabBin` where item_code = ''x'';\n```\n# User@Host: not a header"
		in markdown.sql
	)
	assert markdown.sql.endswith("WHERE `name` = 'T1';")
	assert [u.equality for u in read(markdown.sql).uses] == [["name"]]


def test_corpus_statements_come_back_whole_from_a_mysql_log():
	"""Every slow-log corpus statement (comments, Markdown, `#` lines, quotes) is one entry, text unchanged."""
	statements = [case.sql for case in corpus.CASES]
	entries = list(slow_log.entries(mysql_log(statements)))
	assert [e.sql for e in entries] == [s.strip() + ";" for s in statements]
	assert {e.schema for e in entries} == {"_site1"}, "the one `use` holds for every later entry"
	assert (entries[1].query_time_s, entries[1].rows_examined) == (2.5, 2000)


def test_lines_before_the_first_header_and_after_a_restart_banner_are_skipped():
	"""A tail that starts mid-entry, and a server restart banner between entries, add no text to statements."""
	log = (
		"where half_of_a_statement = 1;\n"
		+ mysql_log(["SELECT 1 FROM tabToDo WHERE status = 'Open'"])
		+ "/usr/sbin/mariadbd, Version: 10.11.19-MariaDB-0+deb12u1 (Debian 12). started with:\n"
		"Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\n"
		"Time\t\t    Id Command\tArgument\n"
	)
	assert [e.sql for e in slow_log.entries(log)] == ["SELECT 1 FROM tabToDo WHERE status = 'Open';"]


def test_an_unterminated_backtick_in_a_multi_line_statement_ends():
	"""The statement that once hung the weekly analysis is one entry, refused by the reader at once."""
	log = mysql_log(["SELECT `a FROM tabToDo\nWHERE description = 'Use bench'\nORDER BY modified"])
	(entry,) = slow_log.entries(log)
	assert read(entry.sql).unread == "unterminated ` quote"


def test_a_huge_statement_is_kept_just_long_enough_to_be_refused():
	"""A multi-megabyte entry is cut just past the reader's limit on raw text, which then refuses it as too long."""
	(entry,) = slow_log.entries(mysql_log(["INSERT INTO t VALUES\n" + "('x'),\n" * 500_000 + "('y')"]))
	assert len(entry.sql) == sql_text.MAX_TEXT_CHARS + 1
	assert read(entry.sql).unread == sql_text.TOO_LONG


def test_a_statement_with_a_200_kb_in_list_is_kept_compact_and_read(tmp_path):
	"""Frappe's `["in", names]` query from the log file is kept with its list shortened, and still reads."""
	names = ", ".join(f"'TASK-2025-{n:014d}'" for n in range(8000))
	logged = f"SELECT name FROM tabToDo WHERE reference_name IN ({names}) AND status = 'Open'"
	path = tmp_path / "slow.log"
	path.write_text(mysql_log([logged, logged], schema="site1"))
	(statement,) = workload.slow_log_file(str(path), "site1")
	assert len(logged) > 200_000 and len(statement.sql) < 200
	assert (statement.calls, statement.unread) == (2, None)
	(use,) = read(statement.sql).uses
	assert use.equality == ["reference_name", "status"]


def test_tail_reads_only_the_end_of_the_file_from_a_whole_line(tmp_path):
	"""A log bigger than the tail is read from its last bytes only, starting after a line break."""
	path = tmp_path / "slow.log"
	path.write_text(mysql_log([f"SELECT {n} FROM tabToDo WHERE status = 'Open'" for n in range(2000)]))
	text = slow_log.tail(str(path), max_bytes=4096)
	assert len(text) <= 4096 and path.stat().st_size > 100_000
	assert path.read_text().endswith(text) and path.read_text()[-len(text) - 1] == "\n"
	statements = [e.sql for e in slow_log.entries(text)]
	assert statements[-1] == "SELECT 1999 FROM tabToDo WHERE status = 'Open';"
	assert all(s.startswith("SELECT ") and s.endswith("'Open';") for s in statements)


def test_workload_reads_the_file_grouped_by_statement_for_its_schema(tmp_path):
	"""Repeated statements add up calls, time and rows; other schemas' entries are left out."""
	path = tmp_path / "slow.log"
	mariadb = MARIADB_LOG.read_text()
	path.write_text(mariadb + mariadb)
	found = workload.slow_log_file(str(path), "perf_engine_t_slowcap_b")
	assert [(s.sql, s.calls, s.rows_examined, s.literal) for s in found] == [
		("SELECT name FROM `tabToDo` WHERE allocated_to = 'b@example.com';", 2, 4, True)
	]
	assert found[0].total_time_s == 0.00016
	assert workload.slow_log_file(str(tmp_path / "missing.log"), "x") == []


def test_entries_carry_rows_sent_rows_affected_and_their_timestamp():
	"""Rows_sent and Rows_affected from the header lines, and the epoch of `SET timestamp=...;`."""
	found = list(slow_log.entries(MARIADB_LOG.read_text()))
	assert all(entry.at is not None for entry in found)
	assert found[0].at == 1795438608 and found[0].rows_sent == 0 and found[0].rows_affected == 0
	mysql = list(slow_log.entries(mysql_log(["SELECT name FROM `tabToDo`"])))
	assert (mysql[0].rows_sent, mysql[0].at) == (20, 1743415200)
	assert any(entry.rows_sent > 0 for entry in found) or any(entry.rows_affected > 0 for entry in found)
