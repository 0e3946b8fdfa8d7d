import frappe

from perf_engine.tests import rest

ROWS = 80_000  # inside the 50k-100k MEDIUM band
# InnoDB's sampled row estimate wanders by 20 % and more; sampling every page makes it exact.
EXACT_ESTIMATE_DDL = "ALTER TABLE `tabToDo` STATS_SAMPLE_PAGES={pages}, ALGORITHM=INSTANT"
MARK = "perf-engine-index-test"


def fill_todo() -> None:
	"""80k ToDo rows (committed: ANALYZE TABLE commits anyway), so the table is worth indexing."""
	frappe.db.sql(
		f"""INSERT INTO `tabToDo` (name, creation, modified, owner, modified_by, docstatus, idx, status, priority, description, date)
		SELECT CONCAT('{MARK}-', seq), NOW(), NOW(), 'Administrator', 'Administrator', 0, 0, 'Open', 'Medium', '{MARK}',
		DATE_ADD('2025-01-01', INTERVAL seq % 365 DAY) FROM seq_1_to_{ROWS}"""
	)
	frappe.db.sql_ddl(EXACT_ESTIMATE_DDL.format(pages=65535))
	frappe.db.sql("ANALYZE TABLE `tabToDo`")
	frappe.db.commit()


def clean_up() -> None:
	"""Remove what these tests add to ToDo, committed, including leftovers of an interrupted run."""
	frappe.db.sql("DELETE FROM `tabToDo` WHERE description = %s", MARK)
	frappe.db.sql_ddl(EXACT_ESTIMATE_DDL.format(pages="DEFAULT"))
	if "date_index" in todo_indexes():
		frappe.db.sql_ddl("ALTER TABLE `tabToDo` DROP INDEX `date_index`")
	frappe.db.delete(
		"Property Setter", {"doc_type": "ToDo", "field_name": "date", "property": "search_index"}
	)
	frappe.db.delete("Index Recommendation", {"table_name": "tabToDo"})
	frappe.db.commit()


def todo_indexes() -> set[str]:
	return {row.Key_name for row in frappe.db.sql("SHOW INDEX FROM `tabToDo`", as_dict=True)}


class TestIndexesAPI(rest.ApiTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		clean_up()
		fill_todo()

	@classmethod
	def tearDownClass(cls):
		clean_up()
		super().tearDownClass()

	def test_analysis_apply_and_property_setter(self):
		"""Analysis over real DocTypes creates ToDo findings; applying one builds the index and keeps it in meta."""
		response = rest.call("perf_engine.api.analyze_indexes", self.manager, doctype="ToDo")
		self.assertEqual(response.status_code, 200, response.text)
		self.assertIsInstance(response.message["unread_statements"], list, "refused workload SQL is listed")
		frappe.db.rollback()  # a fresh snapshot sees what the request committed
		name = frappe.db.get_value(
			"Index Recommendation", {"table_name": "tabToDo", "columns": "date", "kind": "add"}
		)
		self.assertTrue(name, "a Date field of an 80k-row table is a candidate")
		self.assertEqual(frappe.db.get_value("Index Recommendation", name, "priority"), "MEDIUM")
		applied = rest.call("perf_engine.api.apply_index_recommendation", self.manager, name=name)
		self.assertEqual(applied.message["status"], "Queued", applied.text)
		rest.run_burst_worker("long")
		frappe.db.rollback()
		self.assertEqual(
			frappe.db.get_value("Index Recommendation", name, "status"),
			"Applied",
			frappe.db.get_value("Index Recommendation", name, "error"),
		)
		self.assertIn("date_index", todo_indexes())
		self.assertTrue(
			frappe.db.exists(
				"Property Setter",
				{"doc_type": "ToDo", "field_name": "date", "property": "search_index", "value": "1"},
			)
		)

	def test_rerun_updates_and_never_reopens_dismissed(self):
		"""A second analysis updates open findings in place and leaves a dismissed one dismissed."""
		rest.call("perf_engine.api.analyze_indexes", self.manager, doctype="ToDo")
		frappe.db.rollback()
		count = frappe.db.count("Index Recommendation", {"table_name": "tabToDo"})
		target = frappe.db.get_value("Index Recommendation", {"table_name": "tabToDo", "status": "Open"})
		rest.call("perf_engine.api.dismiss_index_recommendation", self.manager, name=target)
		rest.call("perf_engine.api.analyze_indexes", self.manager, doctype="ToDo")
		frappe.db.rollback()
		self.assertEqual(frappe.db.count("Index Recommendation", {"table_name": "tabToDo"}), count)
		self.assertEqual(frappe.db.get_value("Index Recommendation", target, "status"), "Dismissed")

	def test_guest_and_non_managers_are_refused(self):
		"""Every index method answers 403 to Guest and to a plain user."""
		for method, args in (
			("perf_engine.api.analyze_indexes", {}),
			("perf_engine.api.apply_index_recommendation", {"name": "x"}),
			("perf_engine.api.dismiss_index_recommendation", {"name": "x"}),
			("perf_engine.api.get_index_overview", {}),
		):
			self.assertEqual(rest.call(method, None, **args).status_code, 403, method)
			self.assertEqual(rest.call(method, self.plain, **args).status_code, 403, method)
