"""perf_engine.query.stream and process_in_batches on a 120,000-row DocType: exactly once under concurrent
writes, permission filtering, a child table, resumable failures and checked arguments."""

import os
import random
import subprocess
import sys

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import get_bench_path

from perf_engine.query import BatchFailed, process_in_batches, stream
from perf_engine.tests import query_tables as t


def names(batches) -> list[str]:
	return [row["name"] for batch in batches for row in batch]


def bench_output(*args: str, terminal: bool) -> str:
	"""What `bench --site SITE ...` prints, with a pseudo-terminal as its stdout (a person at a shell) or a
	pipe (a job's log); CI is unset, since Frappe then prints dots instead of its bar."""
	command = [
		sys.executable,
		"-m",
		"frappe.utils.bench_helper",
		"frappe",
		"--site",
		frappe.local.site,
		*args,
	]
	env = {name: value for name, value in os.environ.items() if name != "CI"}
	if not terminal:
		done = subprocess.run(
			command, cwd=f"{get_bench_path()}/sites", env=env, capture_output=True, text=True
		)
		return done.stdout + done.stderr
	main, child = os.openpty()
	process = subprocess.Popen(
		command, cwd=f"{get_bench_path()}/sites", env=env, stdout=child, stderr=subprocess.STDOUT
	)
	os.close(child)
	chunks = []
	while True:
		try:
			chunk = os.read(main, 4096)
		except OSError:  # EIO: the child closed the terminal
			break
		if not chunk:
			break
		chunks.append(chunk)
	process.wait(timeout=120)
	os.close(main)
	return b"".join(chunks).decode(errors="replace")


class TestQueryStream(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		t.build_stream_tables()

	@classmethod
	def tearDownClass(cls):
		t.drop_all()
		super().tearDownClass()

	def test_every_row_once_while_another_connection_inserts_and_deletes(self):
		"""120,000 rows by a nullable date with ties: between batches another connection deletes rows on both
		sides of the cursor and inserts new ones; rows present throughout appear once, nothing twice."""
		original = set(frappe.get_all(t.ROW, pluck="name", limit=0))
		deletable = sorted(original)[::20]
		stable = original - set(deletable)
		rng, other, inserted = random.Random(13), t.other_connection(), 0
		seen = []
		try:
			for batch in stream(t.ROW, fields=["posted"], batch_size=2000, order_by="posted desc"):
				seen += [row["name"] for row in batch]
				# A job that commits between batches sees other processes' writes; end this snapshot.
				frappe.db.rollback()
				with other.cursor() as cur:
					for _ in range(20):
						cur.execute(
							f"DELETE FROM `tab{t.ROW}` WHERE name = %s",
							(deletable.pop(rng.randrange(len(deletable))),),
						)
						cur.execute(
							f"INSERT INTO `tab{t.ROW}` (name, posted, title) VALUES (%s, %s, 'new')",
							(f"PSR-NEW-{inserted}", rng.choice([None, batch[-1]["posted"], "2023-01-01"])),
						)
						inserted += 1
		finally:
			with other.cursor() as cur:
				cur.execute(f"DELETE FROM `tab{t.ROW}` WHERE name LIKE 'PSR-NEW-%%'")
			other.close()
		self.assertGreater(inserted, 1000)
		self.assertEqual(len(seen), len(set(seen)), "a row appeared twice")
		self.assertFalse(stable - set(seen), "rows present throughout were skipped")

	def test_a_user_with_a_user_permission_streams_only_allowed_rows(self):
		"""The reader may see group G-3 only: the stream yields exactly the 12,000 rows of that group."""
		with self.set_user(t.READER):
			rows = [r for batch in stream(t.ROW, fields=["group"], batch_size=5000) for r in batch]
		self.assertEqual(len(rows), t.STREAM_ROWS // t.GROUPS)
		self.assertEqual({r["group"] for r in rows}, {t.ALLOWED_GROUP})
		trusted = names(stream(t.ROW, filters={"group": "G-4"}, batch_size=5000, ignore_permissions=True))
		self.assertEqual(len(trusted), t.STREAM_ROWS // t.GROUPS)

	def test_a_child_table_streams_through_its_parent(self):
		"""60,000 item rows stream once each; the reader gets only items of G-3 parents; no parent is refused."""
		every = names(stream(t.ITEM, fields=["parent", "qty"], batch_size=5000, parent_doctype=t.ROW))
		self.assertEqual(sorted(every), sorted(set(every)))
		self.assertEqual(len(every), t.PARENTS_WITH_ITEMS * t.ITEMS_PER_PARENT)
		with self.set_user(t.READER):
			items = [r for b in stream(t.ITEM, fields=["parent"], parent_doctype=t.ROW) for r in b]
		parents = {r["parent"] for r in items}
		groups = set(frappe.get_all(t.ROW, {"name": ("in", list(parents))}, pluck="group"))
		self.assertEqual(groups, {t.ALLOWED_GROUP})
		self.assertEqual(len(items), t.PARENTS_WITH_ITEMS * t.ITEMS_PER_PARENT // t.GROUPS)
		with self.assertRaisesRegex(frappe.ValidationError, "child table: pass parent_doctype"):
			stream(t.ITEM)
		with self.assertRaises(frappe.ValidationError):
			stream(t.ITEM, parent_doctype="ToDo")

	def test_a_failing_batch_names_the_cursor_to_resume_from(self):
		"""The third batch fails; resuming from the cursor in the error processes the rest, each row once."""
		done, calls = [], {"n": 0}

		def work(batch):
			calls["n"] += 1
			if calls["n"] == 3:
				raise RuntimeError("disk full")
			done.extend(r["name"] for r in batch)

		filters = {"group": "G-1"}
		with self.assertRaises(BatchFailed) as failed:
			process_in_batches(t.ROW, work, filters=filters, batch_size=1000, order_by="posted")
		self.assertIn("resume_after=", str(failed.exception))
		self.assertIn("disk full", str(failed.exception))
		self.assertEqual(failed.exception.rows_done, 2000)
		result = process_in_batches(
			t.ROW,
			work,
			filters=filters,
			batch_size=1000,
			order_by="posted",
			resume_after=failed.exception.resume_after,
		)
		self.assertEqual(len(done), len(set(done)))
		self.assertEqual(len(done), t.STREAM_ROWS // t.GROUPS)
		self.assertEqual(result["rows"], t.STREAM_ROWS // t.GROUPS - 2000)

	def test_bad_arguments_are_refused_before_any_read(self):
		"""An unknown field or order column, a batch size out of range, SQL text or a child table's field in
		filters, a bad cursor."""
		for kwargs in (
			{"fields": ["nope"]},
			{"fields": ["count(*)"]},
			{"order_by": "nope desc"},
			{"order_by": "posted, title"},
			{"batch_size": 0},
			{"batch_size": 10_001},
			{"filters": ["1=1 or 1"]},
			{"filters": [[t.ITEM, "qty", ">", 1]]},
			{"resume_after": "not a cursor"},
		):
			with self.assertRaises(frappe.ValidationError, msg=str(kwargs)):
				stream(t.ROW, **kwargs)

	def test_a_user_without_read_permission_is_refused_at_the_call(self):
		"""Guest may not read the rows: the call itself raises, before any batch is read."""
		with self.set_user("Guest"), self.assertRaises(frappe.PermissionError):
			stream(t.ROW)

	def test_streaming_commits_nothing(self):
		"""A write made before streaming is still undone by a rollback after the whole walk."""
		frappe.db.sql(f"UPDATE `tab{t.ROW}` SET title = 'uncommitted' WHERE name = 'PSR-0000001'")
		self.assertTrue(names(stream(t.ROW, filters={"group": "G-2"}, batch_size=10_000)))
		frappe.db.rollback()
		self.assertEqual(frappe.db.get_value(t.ROW, "PSR-0000001", "title"), "row 1")

	def test_a_terminal_run_draws_a_progress_bar_and_a_piped_run_does_not(self):
		"""`bench execute` of process_in_batches draws Frappe's bar to 100 % on a terminal; into a pipe (a
		job's log) it prints only the result."""
		walk = ("execute", "perf_engine.tests.query_tables.walk_groups")
		shown = bench_output(*walk, terminal=True)
		self.assertIn(f"Processing {t.GROUP}", shown)
		self.assertIn("100%", shown)
		self.assertIn('"rows": 10', shown)
		piped = bench_output(*walk, terminal=False)
		self.assertIn('"rows": 10', piped)
		self.assertNotIn(f"Processing {t.GROUP}", piped)
