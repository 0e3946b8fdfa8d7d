"""The event bus's transactional outbox: one row per publication, written in the publisher's transaction.

A row commits or rolls back with the publisher's own work, so a committed event is never only
in memory. After the commit the publisher claims its rows, enqueues their deliveries and deletes
them; a row still there after `GRACE_S` (the queue Redis was down, or the process died between
the commit and the enqueue) is claimed by the minute sweep, `SWEEP_BATCH` rows at a time, oldest
first. Every claim is `FOR UPDATE SKIP LOCKED` inside the claimant's transaction, so two
claimants (the publisher and a sweep, or two sweeps) never take the same row.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pymysql

from perf_engine.core.events.subscribers import Subscriber

GRACE_S = 120  # a row this old was not enqueued by its publisher: the sweep takes it
SWEEP_BATCH = 100  # rows one sweep takes, so a long outage drains a bounded batch per minute
WAITING_CAP = 1000  # counting stops here: an operator needs "many", not the exact backlog
COLUMNS = "name, event, event_id, payload, subscribers, owner"


@dataclass(frozen=True)
class OutboxRow:
	"""One publication not yet enqueued: what the publisher published and to whom."""

	name: str
	event: str
	event_id: str
	payload: dict
	subscribers: list[Subscriber]
	owner: str  # the publishing user: deliveries run as them


def encode_subscribers(subscribers: list[Subscriber]) -> str:
	"""The subscribers as published: the sweep delivers to the same handlers with the same attempts."""
	return json.dumps(
		[
			{"handler": s.handler, "estimated_duration_s": s.estimated_duration_s, "attempts": s.attempts}
			for s in subscribers
		],
		separators=(",", ":"),
	)


def decode_row(row: tuple) -> OutboxRow:
	name, event, event_id, payload, subscribers, owner = row
	return OutboxRow(
		name,
		event,
		event_id,
		json.loads(payload),
		[Subscriber(**entry) for entry in json.loads(subscribers)],
		owner,
	)


def due_before(now: datetime, grace_s: int = GRACE_S) -> datetime:
	"""Rows published before this were given their grace: the sweep may take them."""
	return now - timedelta(seconds=grace_s)


def claim(connection: pymysql.Connection, table: str, names: list[str]) -> list[OutboxRow]:
	"""Lock these rows for this transaction; a row another claimant holds or already deleted is left out."""
	if not names:
		return []
	placeholders = ", ".join(["%s"] * len(names))
	return fetch(
		connection,
		f"SELECT {COLUMNS} FROM `{table}` WHERE name IN ({placeholders}) FOR UPDATE SKIP LOCKED",
		names,
	)


def claim_due(
	connection: pymysql.Connection, table: str, now: datetime, limit: int = SWEEP_BATCH
) -> list[OutboxRow]:
	"""Lock up to `limit` rows past their grace, oldest first, skipping rows another claimant holds."""
	return fetch(
		connection,
		f"SELECT {COLUMNS} FROM `{table}` WHERE published_at < %s "
		"ORDER BY published_at LIMIT %s FOR UPDATE SKIP LOCKED",
		(due_before(now), limit),
	)


def delete(connection: pymysql.Connection, table: str, names: list[str]) -> None:
	"""Drop the rows whose deliveries are all enqueued (the caller commits)."""
	if names:
		with connection.cursor() as cursor:
			cursor.execute(f"DELETE FROM `{table}` WHERE name IN ({', '.join(['%s'] * len(names))})", names)


def waiting(connection: pymysql.Connection, table: str, now: datetime, cap: int = WAITING_CAP) -> int:
	"""Rows past their grace, counted up to `cap` through the published_at index (never a full count)."""
	with connection.cursor() as cursor:
		cursor.execute(
			f"SELECT COUNT(*) FROM (SELECT 1 FROM `{table}` WHERE published_at < %s LIMIT %s) AS due",
			(due_before(now), cap),
		)
		return int(cursor.fetchone()[0])


def fetch(connection: pymysql.Connection, sql: str, args: Any) -> list[OutboxRow]:
	with connection.cursor() as cursor:
		cursor.execute(sql, args)
		return [decode_row(row) for row in cursor.fetchall()]
