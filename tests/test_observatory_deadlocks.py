"""Deadlocks: a real one between two connections is read with both statements, the table, the index and the
victim; the status is read only when the counter grew and at most once a minute; any text ends in a reading."""

from pathlib import Path

import pymysql
from hypothesis import given, settings
from hypothesis import strategies as st

from perf_engine.core.observatory import deadlock_watch
from perf_engine.core.observatory.deadlock_report import parse
from perf_engine.core.observatory.deadlock_watch import STATUS_INTERVAL_S, WatchState
from perf_engine.core.observatory.site import Site
from tests.observatory_helpers import Background, closing_all, connect_as, wait_until
from tests.services import mariadb_settings

MARIADB_DEADLOCK = (Path(__file__).parent / "fixtures" / "mariadb-10.11-deadlock.txt").read_text()
LOCK_WAIT_S = 20
FIRST = "UPDATE accounts SET balance = balance - 1 WHERE code = 'A'"
SECOND = "UPDATE accounts SET balance = balance - 1 WHERE code = 'B'"


def make_deadlock(database: str) -> tuple[int, int, pymysql.MySQLError]:
	"""Two transactions lock rows of a secondary index in opposite orders: (waiter's thread, victim's thread, error)."""
	server = mariadb_settings()
	one = connect_as(server.db_host, server.db_port, server.db_user, server.db_password, database, False)
	two = connect_as(server.db_host, server.db_port, server.db_user, server.db_password, database, False)
	with closing_all(one, two):
		for conn in (one, two):
			with conn.cursor() as cur:
				cur.execute(f"SET SESSION innodb_lock_wait_timeout = {LOCK_WAIT_S}")
		with one.cursor() as cur:
			cur.execute(FIRST)
		with two.cursor() as cur:
			cur.execute(SECOND)
		waiting = Background(one, SECOND).start()
		wait_until(lambda: waiting_on_lock(two, waiting.thread_id))
		try:
			with two.cursor() as cur:
				cur.execute(FIRST)
		except pymysql.MySQLError as exc:
			waiting.join()
			return waiting.thread_id, two.thread_id(), exc
		waiting.join()
		return two.thread_id(), one.thread_id(), waiting.error


def waiting_on_lock(conn: pymysql.Connection, thread_id: int) -> bool:
	with conn.cursor() as cur:
		cur.execute(
			"SELECT 1 FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = %s AND trx_state = 'LOCK WAIT'",
			(thread_id,),
		)
		return cur.fetchone() is not None


def accounts(db: pymysql.Connection) -> None:
	with db.cursor() as cur:
		cur.execute(
			"CREATE TABLE accounts (id INT PRIMARY KEY, code VARCHAR(10), balance INT, UNIQUE KEY code_index (code)) ENGINE=InnoDB"
		)
		cur.execute("INSERT INTO accounts VALUES (1, 'A', 10), (2, 'B', 10)")


def test_a_real_deadlock_is_read_with_both_statements_the_table_index_and_victim(db, database_name):
	"""After a deadlock the counter grew, the status is read, and the site's deadlock names what each side ran,
	the table and index locked, and as victim the session that got error 1213."""
	accounts(db)
	site = Site(database_name, mariadb_settings().db_user)
	before = deadlock_watch.check(db, site, WatchState())
	assert before.deadlock is None and not before.status_read
	survivor, victim_thread, error = make_deadlock(database_name)
	assert error.args[0] == 1213
	result = deadlock_watch.check(db, site, before.state)
	assert result.status_read and result.state.deadlocks > before.state.deadlocks
	deadlock = result.deadlock
	assert deadlock.problems == []
	assert {t.thread_id for t in deadlock.transactions} == {survivor, victim_thread}
	assert deadlock.victim_transaction.thread_id == victim_thread
	statements = {t.thread_id: t.statement for t in deadlock.transactions}
	assert statements[victim_thread] == FIRST and statements[survivor] == SECOND
	for transaction in deadlock.transactions:
		assert (transaction.waiting_for.database, transaction.waiting_for.table) == (
			database_name,
			"accounts",
		)
		assert transaction.waiting_for.index == "code_index"
	again = deadlock_watch.check(db, site, result.state)
	assert again.deadlock is None and not again.status_read, "the same counter reads nothing again"


def test_the_status_is_read_at_most_once_a_minute(db, database_name):
	"""A counter that grew within a minute of the last status read waits for the next check: the counter stays."""
	accounts(db)
	site = Site(database_name, mariadb_settings().db_user)
	now = 1_000_000.0
	state = WatchState(deadlock_watch.deadlock_count(db) - 1, now - 10)
	held = deadlock_watch.check(db, site, state, now=now)
	assert not held.status_read and held.state == state
	later = deadlock_watch.check(db, site, state, now=now + STATUS_INTERVAL_S)
	assert later.status_read and later.state.status_read_at == now + STATUS_INTERVAL_S


def test_mariadbs_own_format_is_read():
	"""MariaDB 10.11's section ("MariaDB thread id", CONFLICTING WITH): threads, statements, locks, victim."""
	deadlock = parse("=====\nsome header\n" + MARIADB_DEADLOCK + "------------\nTRANSACTIONS\n")
	assert deadlock.detected_at == "2026-12-07 10:43:41"
	assert [(t.number, t.thread_id, t.statement) for t in deadlock.transactions] == [
		(1, 3618, "UPDATE t SET v=2 WHERE id=1"),
		(2, 3617, "UPDATE t SET v=2 WHERE id=2"),
	]
	assert deadlock.victim == 1
	first = deadlock.transactions[0]
	assert (first.waiting_for.index, first.waiting_for.mode) == ("PRIMARY", "X locks rec but not gap")
	assert first.locks[0].trx_id == deadlock.transactions[1].trx_id
	assert deadlock.key == parse(MARIADB_DEADLOCK).key


def test_text_without_a_deadlock_section_is_none_and_a_broken_one_is_kept_raw():
	"""No section: None. A section missing its parts: the raw text with a note naming what is missing."""
	assert parse("=== INNODB MONITOR OUTPUT ===\nTRANSACTIONS\n") is None
	broken = parse("LATEST DETECTED DEADLOCK\n------------------------\n*** (1) TRANSACTION:\ngarbage\n")
	assert broken.raw and "no rolled-back transaction named" in broken.problems


LINES = MARIADB_DEADLOCK.splitlines()


@settings(max_examples=300, deadline=None)
@given(
	st.lists(st.integers(0, len(LINES) - 1), max_size=12),
	st.text(max_size=200),
	st.integers(0, len(MARIADB_DEADLOCK)),
)
def test_any_damage_to_the_section_still_ends_in_a_reading(dropped, noise, cut):
	"""Lines dropped, noise inserted, the text cut anywhere: parse answers (a reading or None), never raises."""
	kept = [line for n, line in enumerate(LINES) if n not in set(dropped)]
	half = len(kept) // 2
	text = "\n".join([*kept[:half], noise, *kept[half:]])[:cut]
	found = parse(text)
	assert found is None or isinstance(found.problems, list)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=2000))
def test_any_text_ends_in_a_reading(text):
	"""Arbitrary text after the section title is read or noted, never a crash."""
	found = parse("LATEST DETECTED DEADLOCK\n" + text)
	assert found is not None and (found.transactions or found.problems)
