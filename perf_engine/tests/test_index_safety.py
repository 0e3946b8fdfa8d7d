"""Index changes that stay safe whatever a user sends: tampered findings, constraint drops,
framework-managed indexes, and bounded settings, through REST, the job, the CLI and Desk."""

import hashlib
import json
import subprocess
import sys

import frappe
from frappe.utils import get_bench_path
from frappe.utils.password import update_password

from perf_engine.core.indexes.recommendation import DROP, key
from perf_engine.patches.v1 import index_safety
from perf_engine.services import indexes
from perf_engine.services.settings import DOCTYPE as SETTINGS
from perf_engine.tests import browser, rest

DOCTYPE = "Index Recommendation"
APPLY = "perf_engine.api.apply_index_recommendation"
# A duplicate and a wider index on ToDo: the duplicate is an ordinary drop finding; the wider one
# makes the (reference_type, reference_name) index ToDo's on_doctype_update adds a left prefix.
TEST_INDEXES = {
	"perf_engine_dup": "(reference_type, reference_name)",
	"perf_engine_wide": "(reference_type, reference_name, status)",
}
TODO_OWNER = "frappe.desk.doctype.todo.todo.on_doctype_update (frappe.db.add_index)"
PASSWORD = "Perf-Engine-Index-Test-1"


def schema_of(*tables: str) -> dict[str, list]:
	"""Every index of these tables, as SHOW INDEX gives it: the thing that must not change."""
	return {t: frappe.db.sql(f"SHOW INDEX FROM `{t}`") for t in tables}


def todo_index_names() -> set[str]:
	return {row[2] for row in frappe.db.sql("SHOW INDEX FROM `tabToDo`")}


def add_test_indexes() -> None:
	present = todo_index_names()
	for name, columns in TEST_INDEXES.items():
		if name not in present:
			frappe.db.sql_ddl(f"ALTER TABLE `tabToDo` ADD INDEX `{name}` {columns}")


def clean_up() -> None:
	"""Remove what these tests add, committed, including leftovers of an interrupted run."""
	present = todo_index_names()
	for name in TEST_INDEXES:
		if name in present:
			frappe.db.sql_ddl(f"ALTER TABLE `tabToDo` DROP INDEX `{name}`")
	frappe.db.delete(
		DOCTYPE, {"table_name": ("in", ("tabToDo", "tabDocShare", "tabDefaultValue", "tabCurrency"))}
	)
	frappe.db.commit()


def finding(table: str, index_name: str) -> str:
	name = frappe.db.get_value(DOCTYPE, {"table_name": table, "index_name": index_name, "kind": DROP})
	assert name, f"no drop finding for {index_name} on {table}"
	return name


def stored(table: str, columns: tuple[str, ...], index_name: str, name: str | None = None) -> str:
	"""A drop recommendation stored under the right key for its identity (or `name`), as if an analysis had made it."""
	name = name or key(table, columns, DROP, index_name)
	frappe.delete_doc_if_exists(DOCTYPE, name, force=True)
	doc = frappe.get_doc(
		{
			"doctype": DOCTYPE,
			"name": name,
			"table_name": table,
			"columns": ", ".join(columns),
			"index_name": index_name,
			"kind": DROP,
			"status": "Open",
			"priority": "LOW",
		}
	)
	doc.flags.from_analysis = True
	doc.insert(ignore_permissions=True, set_name=name)
	frappe.db.commit()
	return name


def run_cli(*args: str) -> subprocess.CompletedProcess:
	"""`perf-engine indexes apply` for this site, as an operator would run it beside the bench."""
	command = [sys.executable, "-c", "import sys; from perf_engine.cli import main; sys.exit(main())"]
	command += ["--bench", get_bench_path(), "--site", frappe.local.site, "indexes", "apply", *args]
	return subprocess.run(command, capture_output=True, text=True, timeout=120)


class TestIndexSafety(rest.ApiTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		clean_up()

	@classmethod
	def tearDownClass(cls):
		clean_up()
		super().tearDownClass()

	def setUp(self):
		"""Fresh findings for ToDo, DocShare and DefaultValue from a real analysis, every test."""
		clean_up()
		add_test_indexes()
		for doctype in ("ToDo", "DocShare", "DefaultValue"):
			indexes.analyze_and_store(doctype)
		frappe.db.commit()

	def test_rest_put_cannot_change_a_recommendation(self):
		"""A Performance Manager's PUT of table, columns, index name, kind or status is refused; nothing changes."""
		name = finding("tabToDo", "perf_engine_dup")
		before = frappe.get_doc(DOCTYPE, name).as_dict()
		for field, value in (
			("table_name", "tabCurrency"),
			("columns", "currency_name"),
			("index_name", "currency_name"),
			("kind", "add"),
			("status", "Open"),
		):
			if before[field] == value:
				continue
			response = rest.resource("PUT", DOCTYPE, name, self.performance_manager, **{field: value})
			self.assertEqual(response.status_code, 403, f"{field}: {response.text}")
			self.assertIn("written by the index analysis only", response.text)
		frappe.db.rollback()
		self.assertEqual(frappe.get_doc(DOCTYPE, name).as_dict(), before)

	def test_a_tampered_recommendation_is_refused_at_apply_and_the_schema_is_unchanged(self):
		"""Table, columns, index name or kind changed behind the analysis's back: apply refuses, no DDL runs."""
		name = finding("tabToDo", "perf_engine_dup")
		before = schema_of("tabToDo", "tabCurrency")
		for changes in (
			{"table_name": "tabCurrency"},
			{"columns": "reference_name"},
			{"index_name": "reference_type_reference_name_index"},
			{"kind": "add"},
			{"table_name": "tabCurrency", "columns": "currency_name", "index_name": "currency_name"},
		):
			original = frappe.db.get_value(DOCTYPE, name, list(changes), as_dict=True)
			frappe.db.set_value(DOCTYPE, name, changes)  # as a direct database edit would
			frappe.db.commit()
			response = rest.call(APPLY, self.performance_manager, name=name, confirm=1)
			self.assertEqual(response.status_code, 417, f"{changes}: {response.text}")
			self.assertIn("no longer matches the finding the analysis stored", response.text)
			frappe.db.set_value(DOCTYPE, name, original)
			frappe.db.commit()
			self.assertEqual(frappe.db.get_value(DOCTYPE, name, "status"), "Open")
		self.assertEqual(schema_of("tabToDo", "tabCurrency"), before)

	def test_an_untampered_drop_runs_and_records_who_ran_which_ddl(self):
		"""The genuine finding is applied by a real worker; the exact DDL and the user are on the document."""
		name = finding("tabToDo", "perf_engine_dup")
		self.assertEqual(
			rest.call(APPLY, self.performance_manager, name=name).status_code, 417, "needs confirm"
		)
		response = rest.call(APPLY, self.performance_manager, name=name, confirm=1)
		self.assertEqual(response.message["status"], "Queued", response.text)
		rest.run_burst_worker("long")
		frappe.db.rollback()
		doc = frappe.get_doc(DOCTYPE, name)
		self.assertEqual(doc.status, "Applied", doc.error)
		ddl = "ALTER TABLE `tabToDo` DROP INDEX `perf_engine_dup`, ALGORITHM=INPLACE, LOCK=NONE"
		self.assertEqual((doc.applied_ddl, doc.applied_by), (ddl, rest.PERFORMANCE_MANAGER_USER))
		self.assertTrue(
			frappe.db.exists(
				"Comment",
				{"reference_doctype": DOCTYPE, "reference_name": name, "content": ("like", f"%{ddl}%")},
			)
		)
		self.assertNotIn("perf_engine_dup", todo_index_names())

	def test_primary_and_sole_unique_drops_are_refused_through_api_job_and_cli(self):
		"""Even stored under their right keys, drops of PRIMARY and of Currency's only UNIQUE never run."""
		before = schema_of("tabCurrency")
		for columns, index_name in ((("name",), "PRIMARY"), (("currency_name",), "currency_name")):
			name = stored("tabCurrency", columns, index_name)
			response = rest.call(APPLY, self.performance_manager, name=name, confirm=1)
			self.assertEqual(response.status_code, 417, response.text)
			self.assertIn("never dropped", response.text)
			outcome = indexes.run_apply(name, rest.PERFORMANCE_MANAGER_USER)
			self.assertEqual(outcome["status"], "Failed")
			self.assertIn("never dropped", frappe.db.get_value(DOCTYPE, name, "error"))
			cli = run_cli(
				"--drop",
				"--yes",
				"--table",
				"tabCurrency",
				"--columns",
				columns[0],
				"--index-name",
				index_name,
			)
			self.assertEqual(cli.returncode, 2, cli.stderr)
			self.assertIn("never dropped", cli.stderr)
		self.assertEqual(schema_of("tabCurrency"), before)

	def test_framework_managed_findings_carry_their_owner_and_no_drop_action(self):
		"""DocField, child-table and on_doctype_update indexes are marked; their drop is refused, even untagged."""
		expected = {
			("tabDocShare", "user"): "DocField DocShare.user (search_index)",
			(
				"tabDefaultValue",
				"parent",
			): "Frappe (every child table, DefaultValue included, has a parent index)",
			("tabToDo", "reference_type_reference_name_index"): TODO_OWNER,
		}
		overview = rest.call(
			"perf_engine.api.get_index_overview", self.performance_manager, http_method="GET"
		)
		listed = {f["name"]: f for f in overview.message["findings"]}
		before = schema_of("tabDocShare", "tabDefaultValue", "tabToDo")
		for (table, index_name), owner in expected.items():
			name = finding(table, index_name)
			doc = frappe.get_doc(DOCTYPE, name)
			self.assertEqual(doc.managed_by, owner)
			self.assertIn("to drop it,", doc.blocked_reason)
			self.assertEqual(listed[name]["managed_by"], owner)
			response = rest.call(APPLY, self.performance_manager, name=name, confirm=1)
			self.assertEqual(response.status_code, 417, response.text)
			frappe.db.set_value(DOCTYPE, name, {"managed_by": "", "blocked_reason": ""})
			frappe.db.commit()
			response = rest.call(APPLY, self.performance_manager, name=name, confirm=1)
			self.assertEqual(response.status_code, 417, response.text)
			self.assertIn(f"managed by {owner}", response.text)
		self.assertEqual(schema_of("tabDocShare", "tabDefaultValue", "tabToDo"), before)
		self.assertEqual(
			frappe.db.get_value(DOCTYPE, finding("tabToDo", "perf_engine_dup"), "managed_by"), ""
		)

	def test_an_ignored_index_is_shown_and_never_makes_another_redundant(self):
		"""perf_engine_wide IGNORED: the on_doctype_update index is no longer its left prefix, and the wide
		index is a finding of its own saying what dropping and un-ignoring it would do; its drop runs."""
		frappe.db.sql_ddl("ALTER TABLE `tabToDo` ALTER INDEX `perf_engine_wide` IGNORED")
		frappe.db.delete(DOCTYPE, {"table_name": "tabToDo"})
		indexes.analyze_and_store("ToDo")
		frappe.db.commit()
		managed = "reference_type_reference_name_index"
		self.assertFalse(frappe.db.exists(DOCTYPE, {"table_name": "tabToDo", "index_name": managed}))
		doc = frappe.get_doc(DOCTYPE, finding("tabToDo", "perf_engine_wide"))
		evidence = json.loads(doc.evidence)
		self.assertEqual(doc.source, "ignored")
		self.assertFalse(doc.blocked_reason or doc.lock_note, "an InnoDB drop of it is offered, online")
		self.assertTrue(doc.reason.startswith("IGNORED: dropping it changes no query plan"), doc.reason)
		self.assertEqual(evidence["would_make_redundant"], [managed])
		response = rest.call(APPLY, self.performance_manager, name=doc.name, confirm=1)
		self.assertEqual(response.message["status"], "Queued", response.text)
		rest.run_burst_worker("long")
		frappe.db.rollback()
		self.assertEqual(frappe.db.get_value(DOCTYPE, doc.name, "status"), "Applied")
		self.assertNotIn("perf_engine_wide", todo_index_names())
		self.assertIn(managed, todo_index_names())

	def test_settings_refuse_limits_outside_their_ranges(self):
		"""Perf Engine Settings refuses retries outside 0-10 and a lock wait outside 1-10 s, naming the range."""
		settings = frappe.get_single(SETTINGS)
		for field, value, message in (
			("ddl_retries", 11, "from 0 to 10, got 11"),
			("ddl_lock_wait_timeout", 0, "from 1 to 10, got 0"),
			("ddl_lock_wait_timeout", 99999, "from 1 to 10, got 99999"),
		):
			settings.reload()
			settings.set(field, value)
			with self.assertRaisesRegex(frappe.ValidationError, message):
				settings.save()

	def test_index_page_offers_no_drop_for_a_managed_finding(self):
		"""In Desk, the managed finding shows its owner and no Drop button; an ordinary drop keeps its button."""
		rest.ensure_user(rest.MANAGER_USER, ("System Manager",))
		update_password(rest.MANAGER_USER, PASSWORD)
		frappe.db.set_single_value("System Settings", "setup_complete", 1)
		frappe.db.commit()
		managed, ordinary = finding("tabDocShare", "user"), finding("tabToDo", "perf_engine_dup")
		button = "!!document.querySelector('[data-apply=\"{0}\"]')"
		with browser.web_server() as base:
			sid = browser.login(base, rest.MANAGER_USER, PASSWORD)
			with browser.chromium(base, sid) as tab:
				tab.open(base + "/app/index-analysis", button.format(ordinary))
				self.assertFalse(tab.evaluate(button.format(managed)))
				self.assertTrue(tab.evaluate(f"!!document.querySelector('[data-dismiss=\"{managed}\"]')"))
				self.assertTrue(
					tab.evaluate("document.body.innerText.includes('Managed by DocField DocShare.user')")
				)

	def test_upgrade_patch_bounds_settings_and_forgets_drop_findings_under_old_keys(self):
		"""Old defaults move to 1 s and 5 retries, out-of-range values to the bound; old-key drops go, current ones stay."""
		settings = SETTINGS
		saved = [frappe.db.get_single_value(settings, f) for f in ("ddl_lock_wait_timeout", "ddl_retries")]
		old_key = hashlib.sha1(b"tabToDo|reference_type,reference_name|drop").hexdigest()[:16]
		current = finding(
			"tabToDo", "perf_engine_dup"
		)  # before the stale one, which matches the same filters
		stale = stored("tabToDo", ("reference_type", "reference_name"), "perf_engine_dup", name=old_key)
		try:
			for values, expected in (
				({"ddl_lock_wait_timeout": 5, "ddl_retries": 3}, (1, 5)),
				({"ddl_lock_wait_timeout": 60, "ddl_retries": -2}, (10, 0)),
			):
				frappe.db.set_single_value(
					settings, dict(values)
				)  # Frappe adds `modified` to the dict it is given
				index_safety.execute()
				self.assertEqual(tuple(frappe.db.get_single_value(settings, f) for f in values), expected)
		finally:
			frappe.db.set_single_value(settings, {"ddl_lock_wait_timeout": saved[0], "ddl_retries": saved[1]})
			frappe.db.commit()
		self.assertFalse(frappe.db.exists(DOCTYPE, stale))
		self.assertTrue(frappe.db.exists(DOCTYPE, current))
