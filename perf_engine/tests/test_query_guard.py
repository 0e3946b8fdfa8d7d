"""explain_list and the guarded get_list on a 700,000-row DocType (past the Large tier): full scans and
filesorts named, the matching Index Recommendation pointed at, unbounded full scans refused; and the
shapes Desk sends on a 600,000-row ToDo-like DocType: its pages and indexed counts pass, what really
scans is refused with a message that never contradicts itself."""

import re

import frappe
from frappe.tests.utils import FrappeTestCase, change_settings

from perf_engine.core.indexes.recommendation import ADD, ddl, index_name, key
from perf_engine.core.query import list_guard
from perf_engine.query import ListGuardError, explain_list, get_list
from perf_engine.services import bridge, indexes
from perf_engine.services.settings import DOCTYPE as SETTINGS
from perf_engine.tests import query_tables as t

TABLE = f"tab{t.GUARD}"
RECOMMENDATION = "Index Recommendation"
NEEDED = ("customer", "posting_date")


def forget_evidence() -> None:
	bridge.cache_redis().delete(bridge.cache_prefix() + list_guard.EVIDENCE_KEY)


def store_recommendation(columns: tuple[str, ...]) -> str:
	"""An open add recommendation stored under its key, as the index analysis stores one."""
	name = key(TABLE, columns, ADD, index_name(columns))
	frappe.delete_doc_if_exists(RECOMMENDATION, name, force=True)
	doc = frappe.get_doc(
		{
			"doctype": RECOMMENDATION,
			"name": name,
			"table_name": TABLE,
			"columns": ", ".join(columns),
			"index_name": index_name(columns),
			"kind": ADD,
			"status": "Open",
			"priority": "HIGH",
			"ddl": ddl(TABLE, index_name(columns), columns, ADD),
		}
	)
	doc.flags.from_analysis = True
	doc.insert(ignore_permissions=True, set_name=name)
	frappe.db.commit()
	return name


class TestQueryGuard(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		t.build_guard_table()
		forget_evidence()
		cls.recommendation = store_recommendation(NEEDED)

	@classmethod
	def tearDownClass(cls):
		frappe.db.delete(RECOMMENDATION, {"table_name": TABLE})
		forget_evidence()
		t.drop_all()
		super().tearDownClass()

	def test_explain_names_the_full_scan_the_filesort_and_the_matching_recommendation(self):
		"""A filter and sort on unindexed columns: full scan, filesort, Enterprise tier, the open recommendation."""
		found = explain_list(t.GUARD, {"customer": "C-7"}, ["name", "status"], "posting_date desc", 20)
		self.assertTrue(found["full_scan"] and found["filesort"])
		self.assertEqual(found["tier"], "Enterprise")
		self.assertGreater(found["rows_examined"], 500_000)
		self.assertEqual(found["suggested_index"], list(NEEDED))
		self.assertEqual(found["recommendation"]["name"], self.recommendation)
		self.assertIn(self.recommendation, found["message"])
		self.assertTrue(found["sql"].lower().startswith("select"))

	def test_explain_of_a_cheap_query_finds_nothing_to_fix(self):
		"""A lookup by name uses the primary key: no full scan, no filesort, no problem."""
		found = explain_list(t.GUARD, {"name": "PGR-0000007"}, ["name"], "name asc", 20)
		self.assertEqual(found["index"], "PRIMARY")
		self.assertFalse(found["full_scan"] or found["filesort"])
		self.assertTrue(found["ok"])
		self.assertEqual(found["problems"], [])

	def test_guarded_get_list_refuses_an_unbounded_full_scan_with_a_clear_message(self):
		"""No limit, an unindexed filter: refused, naming the table, its tier and size, the plan and the fixes."""
		with self.assertRaises(ListGuardError) as refused:
			get_list(t.GUARD, filters={"status": "Paid"}, fields=["name"])
		message = str(refused.exception)
		for part in (
			TABLE,
			"Enterprise tier",
			"EXPLAIN shows a full",
			"no limit",
			"perf_engine.query.stream",
		):
			self.assertIn(part, message)

	def test_guarded_get_list_answers_cheap_queries_like_frappe(self):
		"""A primary-key walk with a limit returns what frappe.get_list returns."""
		args = {"fields": ["name", "customer"], "order_by": "name asc", "limit": 5}
		self.assertEqual(get_list(t.GUARD, **args), frappe.get_list(t.GUARD, **args))
		plucked = {"filters": {"name": "PGR-0000007"}, "pluck": "name", "with_comment_count": 1}
		self.assertEqual(get_list(t.GUARD, **plucked), ["PGR-0000007"])
		positional = (["name"], {"name": "PGR-0000007"})
		self.assertEqual(
			get_list(t.GUARD, *positional, as_list=1), frappe.get_list(t.GUARD, *positional, as_list=1)
		)

	def test_a_refused_query_becomes_evidence_for_the_index_analysis(self):
		"""The refused SQL is kept for the analysis, whose finding for the table then cites the list guard."""
		args = {
			"filters": {"customer": "C-9"},
			"fields": ["name"],
			"order_by": "posting_date desc",
			"limit": 20,
		}
		with self.assertRaises(ListGuardError):
			get_list(t.GUARD, **args)
		kept = list_guard.evidence(bridge.cache_redis(), bridge.cache_prefix())
		self.assertIn("'C-9'", " ".join(s.sql for s in kept))
		indexes.analyze_and_store(t.GUARD)
		reason = frappe.db.get_value(RECOMMENDATION, self.recommendation, "reason")
		self.assertIn("list guard", reason)

	def test_warn_and_off_run_the_query(self):
		"""Under Warn the refused query runs (and is logged); under Off it is not even explained."""
		args = {
			"filters": {"customer": "C-7"},
			"fields": ["name"],
			"order_by": "posting_date desc",
			"limit": 3,
		}
		for mode in ("Warn", "Off"):
			with change_settings(SETTINGS, {"list_guard_mode": mode}):
				self.assertEqual(len(get_list(t.GUARD, **args)), 3)
		with self.assertRaises(ListGuardError):
			get_list(t.GUARD, **args)

	def test_a_user_without_read_permission_gets_no_plan(self):
		"""explain_list builds the query as the user would run it, so a user without read is refused."""
		with self.set_user("Guest"), self.assertRaises(frappe.PermissionError):
			explain_list(t.GUARD, {"customer": "C-7"})


OPEN_PAGE = {"filters": {"status": "Open"}, "fields": ["name"], "order_by": "modified desc"}


class TestDeskShapes(FrappeTestCase):
	"""The list view's own queries on a table past the Large tier, through perf_engine.query.get_list."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		t.build_todo_table()
		forget_evidence()

	@classmethod
	def tearDownClass(cls):
		forget_evidence()
		t.drop_all()
		super().tearDownClass()

	def assertRefusedConsistently(self, args: dict, *parts: str) -> str:
		"""Refused, naming `parts`; every figure it gives is past the Small tier, and a limit is never called
		missing when the query has one."""
		with self.assertRaises(ListGuardError) as refused:
			get_list(t.TODO, **args)
		message = str(refused.exception)
		for part in (f"tab{t.TODO}", "Enterprise tier", *parts):
			self.assertIn(part, message)
		for figure in re.findall(r"~([\d,]+) rows", message):
			self.assertGreater(int(figure.replace(",", "")), list_guard.small_bound(), message)
		if args.get("limit") or args.get("limit_page_length"):
			self.assertNotIn("no limit", message)
		return message

	def test_the_first_page_of_a_filtered_list_view_is_served(self):
		"""Status filter, newest first, 20 rows: the walk of the modified index stops at the page."""
		args = {**OPEN_PAGE, "limit": 20}
		self.assertEqual(get_list(t.TODO, **args), frappe.get_list(t.TODO, **args))
		plan = explain_list(t.TODO, **args)
		self.assertEqual((plan["index"], plan["filesort"], plan["ok"]), ("modified", False, True))
		self.assertLessEqual(plan["rows_read"], 3 * 20)

	def test_the_second_page_is_served(self):
		"""start 20, page length 20, as the list view asks for the next page."""
		args = {**OPEN_PAGE, "limit_start": 20, "limit_page_length": 20}
		rows = get_list(t.TODO, **args)
		self.assertEqual(rows, frappe.get_list(t.TODO, **args))
		self.assertEqual(len(rows), 20)

	def test_a_count_by_an_indexed_filter_is_served(self):
		"""The list view's count by an indexed field returns its one row."""
		args = {"filters": {"allocated_to": "user7@example.com"}, "fields": ["count(name) as total"]}
		(row,) = get_list(t.TODO, **args)
		self.assertEqual(row.total, t.TODO_ROWS // t.TODO_USERS)

	def test_a_list_with_no_limit_is_refused(self):
		"""Every Open row, sorted: the whole table is read and sorted, and may all come back."""
		self.assertRefusedConsistently(OPEN_PAGE, "full table scan", "no limit", "perf_engine.query.stream")

	def test_a_page_sorted_by_an_unindexed_field_is_refused(self):
		"""Sorting by priority sorts every Open row before the first 20 are known."""
		self.assertRefusedConsistently(
			{**OPEN_PAGE, "order_by": "priority desc", "limit": 20}, "filesort of ~"
		)

	def test_a_deep_page_is_refused(self):
		"""Page 1,001 reads and discards 20,000 rows first: streaming is the fix, not an index."""
		message = self.assertRefusedConsistently(
			{**OPEN_PAGE, "limit_start": 20_000, "limit_page_length": 20}, "OFFSET 20,000"
		)
		self.assertIn("perf_engine.query.stream", message)

	def test_a_count_by_an_unindexed_filter_is_refused(self):
		"""Counting Open rows reads every row of the table: refused, and no limit is asked of a count."""
		message = self.assertRefusedConsistently(
			{"filters": {"status": "Open"}, "fields": ["count(name) as total"]}, "full table scan"
		)
		self.assertNotIn("no limit", message)
