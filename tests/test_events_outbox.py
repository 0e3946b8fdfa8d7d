"""The event bus's outbox on a real MariaDB: grace, batch, order, claims that never overlap, capped count."""

from collections.abc import Iterator
from datetime import datetime, timedelta

import pymysql
import pytest

from perf_engine.core.events import outbox
from perf_engine.core.events.subscribers import Subscriber
from tests.services import connect_database

TABLE = "tabPerf Event Outbox"
NOW = datetime(2026, 11, 23, 12, 0)
SUBSCRIBERS = [Subscriber("app.events.first"), Subscriber("app.events.slow", 600.0, 3)]


@pytest.fixture
def outbox_db(db: pymysql.Connection) -> pymysql.Connection:
	"""The outbox table as Frappe makes it, reduced to the columns the outbox reads, with its index."""
	with db.cursor() as cur:
		cur.execute(
			f"CREATE TABLE `{TABLE}` (name VARCHAR(140) PRIMARY KEY, event VARCHAR(140), "
			"event_id VARCHAR(140), payload LONGTEXT, subscribers LONGTEXT, owner VARCHAR(140), "
			"published_at DATETIME(6), "
			"KEY published_at (published_at)) ENGINE=InnoDB"
		)
	return db


@pytest.fixture
def two_transactions(outbox_db: pymysql.Connection, database_name: str) -> Iterator[tuple]:
	"""Two connections to the test database, each in a transaction of its own (as two sweeps would be)."""
	first, second = connect_database(database_name), connect_database(database_name)
	for conn in (first, second):
		conn.autocommit(False)
		with conn.cursor() as cur:  # a claim that waited for a lock instead of skipping fails fast
			cur.execute("SET SESSION innodb_lock_wait_timeout = 1")
	yield first, second
	for conn in (first, second):
		conn.rollback()
		conn.close()


def add(db: pymysql.Connection, name: str, age_s: float, event: str = "invoice.submitted") -> None:
	with db.cursor() as cur:
		cur.execute(
			f"INSERT INTO `{TABLE}` (name, event, event_id, payload, subscribers, owner, published_at) "
			"VALUES (%s, %s, %s, %s, %s, %s, %s)",
			(
				name,
				event,
				f"id-{name}",
				'{"name":"INV-1"}',
				outbox.encode_subscribers(SUBSCRIBERS),
				"publisher@example.com",
				NOW - timedelta(seconds=age_s),
			),
		)


def remaining(db: pymysql.Connection) -> list[str]:
	with db.cursor() as cur:
		cur.execute(f"SELECT name FROM `{TABLE}` ORDER BY name")
		return [row[0] for row in cur.fetchall()]


def test_a_row_reads_back_as_it_was_published(outbox_db):
	"""Event, id, payload, publisher and each subscriber's handler, duration and attempts read back."""
	add(outbox_db, "a", outbox.GRACE_S + 1)
	(row,) = outbox.claim_due(outbox_db, TABLE, NOW)
	assert row == outbox.OutboxRow(
		"a", "invoice.submitted", "id-a", {"name": "INV-1"}, SUBSCRIBERS, "publisher@example.com"
	)


def test_the_sweep_takes_only_rows_past_their_grace_oldest_first(outbox_db):
	"""A row younger than the grace is its publisher's; older ones come oldest first."""
	add(outbox_db, "young", outbox.GRACE_S - 1)
	add(outbox_db, "old", outbox.GRACE_S + 60)
	add(outbox_db, "older", outbox.GRACE_S + 600)
	assert [row.name for row in outbox.claim_due(outbox_db, TABLE, NOW)] == ["older", "old"]


def test_the_sweep_takes_a_bounded_batch(outbox_db):
	"""One sweep takes at most `limit` rows, the oldest; the rest wait for the next."""
	for age in range(5):
		add(outbox_db, f"r{age}", outbox.GRACE_S + 10 + age)
	assert [row.name for row in outbox.claim_due(outbox_db, TABLE, NOW, limit=2)] == ["r4", "r3"]


def test_two_sweeps_never_take_the_same_row(two_transactions, outbox_db):
	"""A second sweep skips the rows the first holds and takes the rest; the first's deleted rows never return."""
	first, second = two_transactions
	for name in ("a", "b", "c"):
		add(outbox_db, name, outbox.GRACE_S + 10)
	taken_first = [row.name for row in outbox.claim_due(first, TABLE, NOW, limit=2)]
	taken_second = [row.name for row in outbox.claim_due(second, TABLE, NOW, limit=2)]
	assert len(taken_first) == 2
	assert set(taken_first).isdisjoint(taken_second)
	assert sorted(taken_first + taken_second) == ["a", "b", "c"]
	outbox.delete(first, TABLE, taken_first)
	first.commit()
	second.rollback()
	assert [row.name for row in outbox.claim_due(second, TABLE, NOW)] == taken_second


def test_the_publisher_skips_a_row_the_sweep_holds(two_transactions, outbox_db):
	"""Claiming by name leaves out a row another transaction locked and a row already deleted."""
	sweep, publisher = two_transactions
	add(outbox_db, "held", outbox.GRACE_S + 10)
	add(outbox_db, "free", outbox.GRACE_S + 10)
	outbox.claim(sweep, TABLE, ["held"])
	claimed = outbox.claim(publisher, TABLE, ["held", "free", "gone"])
	assert [row.name for row in claimed] == ["free"]
	assert outbox.claim(publisher, TABLE, []) == []


def test_delete_removes_only_the_named_rows(outbox_db):
	"""Rows whose deliveries all went out are deleted; the others stay for the sweep."""
	for name in ("sent", "kept"):
		add(outbox_db, name, 0)
	outbox.delete(outbox_db, TABLE, ["sent"])
	outbox.delete(outbox_db, TABLE, [])
	assert remaining(outbox_db) == ["kept"]


def test_waiting_counts_rows_past_their_grace_up_to_a_cap(outbox_db):
	"""Rows still within their grace are not waiting; the count stops at the cap."""
	add(outbox_db, "young", 1)
	assert outbox.waiting(outbox_db, TABLE, NOW) == 0
	for name in ("a", "b", "c"):
		add(outbox_db, name, outbox.GRACE_S + 1)
	assert outbox.waiting(outbox_db, TABLE, NOW) == 3
	assert outbox.waiting(outbox_db, TABLE, NOW, cap=2) == 2


def test_the_grace_rule():
	"""A row is due once it is older than the grace."""
	assert outbox.due_before(NOW) == NOW - timedelta(seconds=outbox.GRACE_S)
	assert outbox.due_before(NOW, grace_s=30) == NOW - timedelta(seconds=30)


def test_the_sweep_skips_a_row_its_publisher_holds(two_transactions, outbox_db):
	"""A row the publisher locked by name after its commit is left out of a sweep that scans by age."""
	publisher, sweep = two_transactions
	add(outbox_db, "held", outbox.GRACE_S + 20)
	add(outbox_db, "free", outbox.GRACE_S + 10)
	outbox.claim(publisher, TABLE, ["held"])
	assert [row.name for row in outbox.claim_due(sweep, TABLE, NOW)] == ["free"]
