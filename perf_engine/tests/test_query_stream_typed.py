"""perf_engine.query on a small DocType with typed order fields: Time, Date, Datetime, Currency and Int
orders with NULLs and ties, resumed after every batch; a Permission Query server script; realtime progress.

`PE Stream Typed` (300 rows) is a custom DocType made here and removed afterwards with its reader role
and user. Its Time column holds negative times and times past a day as well, as a MariaDB TIME may.
"""

import json
import os
import time
from itertools import islice

import frappe
from frappe.installer import update_site_config
from frappe.tests.utils import FrappeTestCase
from frappe.utils import get_bench_path
from frappe.utils.background_jobs import get_redis_connection_without_auth
from frappe.utils.safe_exec import SAFE_EXEC_CONFIG_KEY

from perf_engine.core.capacity.volume_tiers import table_rows
from perf_engine.query import BatchFailed, process_in_batches, stream
from perf_engine.services import bridge
from perf_engine.tests import query_tables as t
from perf_engine.tests.rest import ensure_user

TYPED = "PE Stream Typed"
TABLE = f"tab{TYPED}"
ROLE = "PE Stream Typed Reader"
USER = "pe-stream-typed@example.com"
SCRIPT = "PE Stream Typed Positive Qty"
ROWS = 300
ORDER_FIELDS = ("at_time", "on_date", "at", "amount", "qty")
# Frappe publishes realtime events on this channel of its queue Redis; the socketio server relays them.
REALTIME_CHANNEL = "events"
REALTIME_WAIT_S = 10


def build_typed() -> None:
	"""The DocType, its 300 rows (NULLs every few rows, many ties), and a reader role and user."""
	if not frappe.db.exists("Role", ROLE):
		frappe.get_doc({"doctype": "Role", "role_name": ROLE}).insert(ignore_permissions=True)
	t.doctype(
		TYPED,
		[
			{"fieldname": "at_time", "fieldtype": "Time", "label": "At Time"},
			{"fieldname": "on_date", "fieldtype": "Date", "label": "On Date"},
			{"fieldname": "at", "fieldtype": "Datetime", "label": "At"},
			{"fieldname": "amount", "fieldtype": "Currency", "label": "Amount"},
			{"fieldname": "qty", "fieldtype": "Int", "label": "Qty"},
		],
		readers=(ROLE,),
	)
	frappe.db.sql(f"DELETE FROM `{TABLE}`")
	t.fill(
		TYPED,
		"at_time, on_date, at, amount, qty",
		f"""CONCAT('PST-', LPAD(seq, 4, '0')), {t.STANDARD},
		IF(seq % 7 = 0, NULL, SEC_TO_TIME((CAST(seq % 13 AS SIGNED) - 2) * 9000 + (seq % 3) * 0.25)),
		IF(seq % 5 = 0, NULL, '2024-01-01' + INTERVAL seq % 17 DAY),
		IF(seq % 6 = 0, NULL, '2024-01-01 00:00:00.000001' + INTERVAL seq % 19 SECOND),
		(seq % 11) * 1.25, CAST(seq % 9 AS SIGNED) - 4""",
		ROWS,
	)
	frappe.db.commit()
	# A fresh table's row estimate is 0 until analysed; the progress bar divides by it.
	frappe.db.sql(f"ANALYZE TABLE `{TABLE}`")
	ensure_user(USER, (ROLE,))
	frappe.delete_doc_if_exists("Server Script", SCRIPT, force=True)  # one a stopped run left
	frappe.db.commit()


def drop_typed() -> None:
	"""Everything build_typed made, committed."""
	frappe.delete_doc_if_exists("Server Script", SCRIPT, force=True)
	frappe.delete_doc_if_exists("User", USER, force=True)
	if frappe.db.exists("DocType", TYPED):
		frappe.delete_doc("DocType", TYPED, force=True, ignore_permissions=True)
	frappe.delete_doc_if_exists("Role", ROLE, force=True)
	frappe.db.commit()


def database_order(field: str, direction: str, where: str = "") -> list[str]:
	"""Every name in MariaDB's own order for `field direction, name direction`."""
	return frappe.db.sql_list(
		f"SELECT name FROM `{TABLE}` {where} ORDER BY `{field}` {direction}, name {direction}"
	)


def resumed_after_every_batch(field: str, direction: str, batch_size: int) -> list[str]:
	"""process_in_batches where every second batch fails, resumed each time from the cursor BatchFailed
	gives: every cursor between batches goes through its token once. The names processed, in order."""
	done, calls, resume_after = [], {"n": 0}, None

	def work(batch: list[dict]) -> None:
		calls["n"] += 1
		if calls["n"] % 2 == 0:
			raise RuntimeError("every second batch fails")
		done.extend(row["name"] for row in batch)

	for _ in range(ROWS):  # one batch per run: never more runs than rows
		try:
			process_in_batches(
				TYPED,
				work,
				fields=[field],
				batch_size=batch_size,
				order_by=f"{field} {direction}",
				resume_after=resume_after,
			)
			return done
		except BatchFailed as failed:
			resume_after = failed.resume_after
	raise AssertionError(f"the walk by {field} {direction} did not end: it is going round")


class TestQueryStreamTyped(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		build_typed()

	@classmethod
	def tearDownClass(cls):
		drop_typed()
		super().tearDownClass()

	def test_each_order_field_type_streams_every_row_once_in_the_database_order(self):
		"""Ascending and descending by Time, Date, Datetime, Currency and Int (NULLs, ties, a Time past 24 h
		and below zero), in batches of 7: the stream is the database's own order, each row once."""
		for field in ORDER_FIELDS:
			for direction in ("asc", "desc"):
				with self.subTest(field=field, direction=direction):
					batches = stream(TYPED, fields=[field], batch_size=7, order_by=f"{field} {direction}")
					# a cursor that goes round would stream forever: one batch more than the rows is plenty
					streamed = [row["name"] for batch in islice(batches, ROWS + 1) for row in batch]
					self.assertEqual(streamed, database_order(field, direction))

	def test_a_walk_resumed_from_each_batch_failure_processes_every_row_once(self):
		"""Every second batch fails and the walk resumes from the cursor in the error, for each order field
		and direction: each row is processed once, in the database's order, with no row lost at a cursor."""
		for field in ORDER_FIELDS:
			for direction in ("asc", "desc"):
				with self.subTest(field=field, direction=direction):
					self.assertEqual(
						resumed_after_every_batch(field, direction, batch_size=11),
						database_order(field, direction),
					)

	def test_a_walk_stuck_on_decimals_frappe_reads_as_one_float_stops_instead_of_going_round(self):
		"""Two amounts alike to a float's 15 digits (Frappe reads DECIMAL as float): descending by amount, the
		stream raises ValidationError naming the stuck cursor rather than yielding the same batch forever."""
		frappe.db.sql(
			f"""INSERT INTO `{TABLE}` ({t.STANDARD_COLUMNS}, amount) VALUES
			('PST-WIDE-A', {t.STANDARD}, 123456789012.123456789), ('PST-WIDE-Z', {t.STANDARD}, 123456789012.123456788)"""
		)
		batches = stream(TYPED, fields=["amount"], batch_size=2, order_by="amount desc")
		with self.assertRaisesRegex(frappe.ValidationError, "stuck at .*order by another field or by name"):
			list(islice(batches, ROWS))
		frappe.db.rollback()

	def test_a_permission_query_server_script_limits_what_a_user_streams(self):
		"""With a Permission Query server script allowing the user rows of positive qty, the user streams
		exactly those rows; the same user with ignore_permissions=True (a trusted job) streams them all."""
		common = os.path.join(get_bench_path(), "sites", "common_site_config.json")
		enabled_before = frappe.get_common_site_config().get(SAFE_EXEC_CONFIG_KEY)
		update_site_config(SAFE_EXEC_CONFIG_KEY, 1, site_config_path=common)
		try:
			frappe.get_doc(
				{
					"doctype": "Server Script",
					"name": SCRIPT,
					"script_type": "Permission Query",
					"reference_doctype": TYPED,
					"script": f'conditions = "`{TABLE}`.`qty` > 0" if user == "{USER}" else ""',
				}
			).insert(ignore_permissions=True)
			frappe.db.commit()
			with self.set_user(USER):
				limited = [
					r for b in stream(TYPED, fields=["qty"], batch_size=7, order_by="at_time") for r in b
				]
				trusted = stream(TYPED, batch_size=7, order_by="at_time", ignore_permissions=True)
				everything = [r["name"] for b in trusted for r in b]
			self.assertEqual([r["name"] for r in limited], database_order("at_time", "asc", "WHERE qty > 0"))
			self.assertTrue(limited and all(r["qty"] > 0 for r in limited))
			self.assertEqual(everything, database_order("at_time", "asc"))
			self.assertLess(len(limited), len(everything))
		finally:
			frappe.delete_doc_if_exists("Server Script", SCRIPT, force=True)
			frappe.db.commit()
			update_site_config(SAFE_EXEC_CONFIG_KEY, enabled_before or "None", site_config_path=common)

	def test_desk_progress_arrives_per_batch_in_order_for_the_user_and_ends_at_100(self):
		"""process_in_batches as the user publishes Frappe's realtime `progress` event on the socketio
		channel, to the user's room: one per batch, rising by the table's row estimate, then 100 %."""
		title = f"PE typed progress {frappe.generate_hash(length=8)}"
		subscriber = get_redis_connection_without_auth().pubsub(ignore_subscribe_messages=True)
		subscriber.subscribe(REALTIME_CHANNEL)
		try:
			subscriber.get_message(timeout=1)  # the subscription is confirmed before anything is published
			with self.set_user(USER):
				result = process_in_batches(TYPED, lambda batch: None, batch_size=50, title=title)
			events = published_progress(subscriber, title)
		finally:
			subscriber.close()
		estimate = table_rows(bridge.db_connection(), frappe.conf.db_name, TABLE)
		self.assertGreater(estimate, result["batches"], "the estimate must make the bar move")
		done = [50 * (n + 1) for n in range(result["batches"])]
		expected = [min(rows, estimate - 1) * 100 / estimate for rows in done] + [100]
		self.assertEqual(result["rows"], ROWS)
		self.assertEqual([e["message"]["percent"] for e in events], expected)
		self.assertEqual(sorted(expected), expected)
		for event in events:
			self.assertEqual(
				(event["event"], event["room"], event["namespace"]),
				("progress", f"user:{USER}", frappe.local.site),
			)


def published_progress(subscriber, title: str) -> list[dict]:
	"""The progress events with this title read off the channel, up to the one at 100 %."""
	events, deadline = [], time.monotonic() + REALTIME_WAIT_S
	while time.monotonic() < deadline:
		message = subscriber.get_message(timeout=1)
		if not message:
			continue
		event = json.loads(message["data"])
		if event.get("event") == "progress" and event.get("message", {}).get("title") == title:
			events.append(event)
			if event["message"]["percent"] >= 100:
				return events
	raise AssertionError(f"no 100 % progress event within {REALTIME_WAIT_S}s; got {events}")
