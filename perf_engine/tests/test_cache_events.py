import json
import subprocess
import sys

import frappe
import redis
from frappe.tests.utils import FrappeTestCase
from frappe.utils import get_bench_path

from perf_engine import cache
from perf_engine.core.cache import keys
from perf_engine.services import bridge
from perf_engine.services import cache as cache_service
from perf_engine.services.settings import DOCTYPE as SETTINGS
from perf_engine.tests import rest

TEST_DOCTYPE = "Perf Engine Cache Probe"
PROBE_REPORT = "Perf Engine Cache Probe Amounts"
# A parent with a child table whose rows link to a target: Sales Invoice, its Items, and Item.
TARGET, ROW, PARENT = "Perf Engine Link Target", "Perf Engine Link Row", "Perf Engine Link Parent"
PARENT_REPORT = "Perf Engine Link Parent Labels"
WARM_HOOK = "perf_engine.tasks.cache.warm_caches"
MANAGER_PERMISSIONS = {"role": "System Manager", "read": 1, "write": 1, "create": 1, "delete": 1}


def make_doctype(name: str, fields: list[dict], **options) -> None:
	"""A custom DocType in the Perf Engine module, made once and committed."""
	if frappe.db.exists("DocType", name):
		return
	permissions = (
		[] if options.get("istable") else [{**MANAGER_PERMISSIONS, **options.pop("permissions", {})}]
	)
	frappe.get_doc(
		{
			"doctype": "DocType",
			"name": name,
			"module": "Perf Engine",
			"custom": 1,
			"fields": fields,
			"permissions": permissions,
			**options,
		}
	).insert()
	frappe.db.commit()


def make_query_report(name: str, ref_doctype: str, query: str) -> None:
	"""A non-standard Query Report, made once and committed."""
	if not frappe.db.exists("Report", name):
		frappe.get_doc(
			{
				"doctype": "Report",
				"report_name": name,
				"ref_doctype": ref_doctype,
				"report_type": "Query Report",
				"is_standard": "No",
				"module": "Perf Engine",
				"query": query,
			}
		).insert()
		frappe.db.commit()


def ensure_probe_doctype() -> None:
	"""A submittable, renamable custom DocType linking to User, and a query report on it."""
	make_doctype(
		TEST_DOCTYPE,
		[
			{"fieldname": "amount", "fieldtype": "Int", "label": "Amount"},
			{"fieldname": "owner_user", "fieldtype": "Link", "options": "User", "label": "User"},
		],
		is_submittable=1,
		allow_rename=1,
		autoname="Prompt",
		permissions={"submit": 1, "cancel": 1},
	)
	make_query_report(PROBE_REPORT, TEST_DOCTYPE, f"SELECT name, amount FROM `tab{TEST_DOCTYPE}`")


def ensure_link_doctypes() -> None:
	"""Target, a child table of rows linking to it, a parent holding those rows, and a report joining them."""
	make_doctype(TARGET, [{"fieldname": "label", "fieldtype": "Data", "label": "Label"}], autoname="Prompt")
	make_doctype(
		ROW,
		[{"fieldname": "target", "fieldtype": "Link", "options": TARGET, "label": "Target"}],
		istable=1,
	)
	make_doctype(
		PARENT,
		[{"fieldname": "rows", "fieldtype": "Table", "options": ROW, "label": "Rows"}],
		autoname="Prompt",
	)
	make_query_report(
		PARENT_REPORT,
		PARENT,
		f"""SELECT p.name, t.label FROM `tab{PARENT}` p JOIN `tab{ROW}` r ON r.parent = p.name
		JOIN `tab{TARGET}` t ON t.name = r.target ORDER BY p.name""",
	)


def generation(doctype: str) -> int:
	return int(bridge.cache_redis().get(bridge.cache_prefix() + keys.GENERATION.format(doctype=doctype)) or 0)


def doc_cached(doctype: str, name: str) -> bool:
	return bool(
		bridge.cache_redis().exists(bridge.cache_prefix() + keys.DOC.format(doctype=doctype, name=name))
	)


class Reader:
	"""perf_engine.tests.cache_reader in a second OS process on this site."""

	def __enter__(self):
		self.process = subprocess.Popen(
			[sys.executable, "-m", "perf_engine.tests.cache_reader", frappe.local.site],
			cwd=f"{get_bench_path()}/sites",
			stdin=subprocess.PIPE,
			stdout=subprocess.PIPE,
			text=True,
		)
		return self

	def read(self, name: str) -> dict:
		"""What the other process reads for the probe `name` in a fresh transaction: doc, list and report."""
		self.process.stdin.write(
			json.dumps({"doctype": TEST_DOCTYPE, "name": name, "report": PROBE_REPORT}) + "\n"
		)
		self.process.stdin.flush()
		line = self.process.stdout.readline()
		if not line:
			raise AssertionError(f"the reader process ended with code {self.process.wait()}")
		return json.loads(line)

	def __exit__(self, *exc):
		self.process.stdin.close()
		self.process.wait(timeout=60)


class TestCacheEvents(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		ensure_probe_doctype()
		ensure_link_doctypes()
		# The in-process L1 may serve another process's change for its TTL; these tests read Redis.
		frappe.db.set_single_value(SETTINGS, "l1_cache_size", 0)
		frappe.db.commit()

	def make_probe(self, label: str, amount: int = 1):
		"""A probe with a unique name, since renames and DDL elsewhere commit earlier runs' probes."""
		name = f"{label}-{frappe.generate_hash(length=6)}"
		return frappe.get_doc({"doctype": TEST_DOCTYPE, "__newname": name, "amount": amount}).insert()

	def test_save_drops_the_cached_document(self):
		"""Editing and saving a document makes the next cached read return the new value, before and after commit."""
		probe = self.make_probe("save-probe", 1)
		frappe.db.commit()
		self.assertEqual(cache.get_cached_doc(TEST_DOCTYPE, probe.name)["amount"], 1)
		probe.amount = 2
		probe.save()
		self.assertEqual(
			cache.get_cached_doc(TEST_DOCTYPE, probe.name)["amount"], 2, "own change, uncommitted"
		)
		self.assertTrue(doc_cached(TEST_DOCTYPE, probe.name), "others still read the committed value")
		frappe.db.commit()
		self.assertFalse(doc_cached(TEST_DOCTYPE, probe.name))
		self.assertEqual(cache.get_cached_doc(TEST_DOCTYPE, probe.name)["amount"], 2)

	def test_another_process_never_keeps_a_value_read_during_the_writers_transaction(self):
		"""The race of issue 16 with two processes: the reader reads while the writer's change is in
		flight, then after the commit it reads the committed value as doc, list and report."""
		probe = self.make_probe("race-probe", 1)
		frappe.db.commit()
		with Reader() as reader:
			self.assertEqual(reader.read(probe.name), {"doc": 1, "list": 1, "report": 1})
			probe.amount = 2
			probe.save()
			self.assertEqual(reader.read(probe.name), {"doc": 1, "list": 1, "report": 1}, "uncommitted")
			frappe.db.commit()
			self.assertEqual(reader.read(probe.name), {"doc": 2, "list": 2, "report": 2})
			probe.amount = 3
			probe.save()
			self.assertEqual(cache.get_cached_doc(TEST_DOCTYPE, probe.name)["amount"], 3)
			self.assertEqual(
				reader.read(probe.name), {"doc": 2, "list": 2, "report": 2}, "never a dirty read"
			)
			frappe.db.rollback()
			self.assertEqual(reader.read(probe.name), {"doc": 2, "list": 2, "report": 2}, "rolled back")
			self.assertEqual(cache.get_cached_doc(TEST_DOCTYPE, probe.name)["amount"], 2)

	def test_submit_and_cancel_invalidate_lists(self):
		"""A cached list reflects a submit and then a cancel; each commit bumps the generation."""
		probe = self.make_probe("submit-probe")
		frappe.db.commit()

		def cached_docstatus() -> int:
			rows = cache.get_cached_list(TEST_DOCTYPE, fields=["docstatus"], filters={"name": probe.name})
			return rows[0]["docstatus"]

		self.assertEqual(cached_docstatus(), 0)
		before = generation(TEST_DOCTYPE)
		probe.submit()
		self.assertEqual(cached_docstatus(), 1)
		frappe.db.commit()
		submitted = generation(TEST_DOCTYPE)
		self.assertEqual(cached_docstatus(), 1)
		probe.cancel()
		frappe.db.commit()
		self.assertEqual(cached_docstatus(), 2)
		self.assertGreater(submitted, before)
		self.assertGreater(generation(TEST_DOCTYPE), submitted)

	def test_rename_and_delete_drop_entries(self):
		"""Renaming drops the old name's entry; deleting drops the document's entry."""
		old = self.make_probe("old-name", 5).name
		new = f"{old}-renamed"
		frappe.db.commit()
		cache.get_cached_doc(TEST_DOCTYPE, old)
		self.assertTrue(doc_cached(TEST_DOCTYPE, old))
		frappe.rename_doc(TEST_DOCTYPE, old, new)
		frappe.db.commit()
		self.assertFalse(doc_cached(TEST_DOCTYPE, old))
		cache.get_cached_doc(TEST_DOCTYPE, new)
		frappe.delete_doc(TEST_DOCTYPE, new)
		frappe.db.commit()
		self.assertFalse(doc_cached(TEST_DOCTYPE, new))

	def test_saving_a_linked_document_bumps_linking_doctypes(self):
		"""Saving a User bumps, once committed, the generation of DocTypes with a Link to User."""
		before = generation(TEST_DOCTYPE)
		frappe.get_doc("User", "Administrator").save()
		frappe.db.commit()
		self.assertGreater(generation(TEST_DOCTYPE), before)

	def test_a_change_to_a_linked_document_makes_the_parents_cached_report_miss(self):
		"""Like an Item change and a Sales Invoice report: the report joins parent, child rows and target,
		and saving the target makes the parent's cached report miss."""
		target = frappe.get_doc({"doctype": TARGET, "__newname": f"T-{frappe.generate_hash(length=6)}"})
		target.label = "before"
		target.insert()
		parent = frappe.get_doc(
			{
				"doctype": PARENT,
				"__newname": f"P-{frappe.generate_hash(length=6)}",
				"rows": [{"target": target.name}],
			}
		).insert()
		frappe.db.commit()

		def label() -> str:
			rows = cache.get_cached_report(PARENT_REPORT)["result"]
			return next(row["label"] for row in rows if row["name"] == parent.name)

		self.assertEqual(label(), "before")
		frappe.db.sql(f"UPDATE `tab{TARGET}` SET label = 'behind the cache' WHERE name = %s", target.name)
		frappe.db.commit()
		self.assertEqual(label(), "before", "served from the cache")
		target.reload()
		target.label = "after"
		target.save()
		frappe.db.commit()
		self.assertEqual(label(), "after")
		self.assertNotIn(
			ROW, cache_service.current_link_map().parents(TARGET), "child tables map to their parent"
		)

	def test_a_property_setter_pointing_a_link_elsewhere_rebuilds_the_map(self):
		"""After a committed Property Setter points the probe's User link at the target DocType,
		saving a target bumps the probe's generation; before it, it did not."""
		target = frappe.get_doc(
			{"doctype": TARGET, "__newname": f"T-{frappe.generate_hash(length=6)}"}
		).insert()
		frappe.db.commit()
		before = generation(TEST_DOCTYPE)
		target.save()
		frappe.db.commit()
		self.assertEqual(generation(TEST_DOCTYPE), before)
		setter = frappe.get_doc(
			{
				"doctype": "Property Setter",
				"doctype_or_field": "DocField",
				"doc_type": TEST_DOCTYPE,
				"field_name": "owner_user",
				"property": "options",
				"property_type": "Text",
				"value": TARGET,
			}
		).insert()
		frappe.db.commit()
		try:
			target.save()
			frappe.db.commit()
			self.assertGreater(generation(TEST_DOCTYPE), before)
		finally:
			frappe.delete_doc("Property Setter", setter.name)
			frappe.db.commit()

	def test_dynamic_links_make_any_change_reach_their_doctype(self):
		"""ToDo points at any DocType through a Dynamic Link: a committed change to a target makes a
		cached ToDo list miss."""
		target = frappe.get_doc(
			{"doctype": TARGET, "__newname": f"T-{frappe.generate_hash(length=6)}"}
		).insert()
		marker = f"behind the cache {frappe.generate_hash(length=6)}"
		frappe.db.commit()

		def cached_todos() -> list:
			return cache.get_cached_list("ToDo", fields=["name"], filters={"description": marker})

		self.assertEqual(cached_todos(), [])
		todo = frappe.generate_hash(length=10)
		frappe.db.sql(
			"""INSERT INTO `tabToDo` (name, description, status, priority, owner, modified_by, creation, modified)
			VALUES (%s, %s, 'Open', 'Medium', 'Administrator', 'Administrator', NOW(), NOW())""",
			(todo, marker),
		)
		frappe.db.commit()
		try:
			self.assertEqual(cached_todos(), [], "served from the cache")
			target.save()
			frappe.db.commit()
			self.assertEqual(cached_todos(), [{"name": todo}])
		finally:
			frappe.db.delete("ToDo", {"name": todo})
			frappe.db.commit()

	def test_save_survives_redis_down(self):
		"""With the cache Redis unreachable the save and its commit still succeed."""
		original = bridge.cache_redis
		bridge.cache_redis = lambda: redis.Redis(port=1, socket_connect_timeout=0.2)
		try:
			probe = self.make_probe("redis-down-probe", 1)
			probe.amount = 3
			probe.save()
			frappe.db.commit()
		finally:
			bridge.cache_redis = original
		self.assertEqual(frappe.db.get_value(TEST_DOCTYPE, probe.name, "amount"), 3)

	def test_warmer_runs_from_the_scheduler_hook(self):
		"""The hourly job exists and, executed by the scheduler, warms entries and records the run."""
		job_type = frappe.get_doc("Scheduled Job Type", {"method": WARM_HOOK})
		self.assertEqual(job_type.frequency, "Hourly Long")
		job_type.execute()
		settings = frappe.get_single(SETTINGS)
		self.assertTrue(settings.last_warm_at)
		self.assertGreater(settings.last_warm_count, 0)
		self.assertEqual(settings.last_warm_failures, 0)


class TestCacheAPI(rest.ApiTestCase):
	def test_memory_and_dry_run_over_rest(self):
		"""A manager reads memory with a breakdown and runs a dry-run cleanup that is logged."""
		memory = rest.call("perf_engine.api.get_redis_memory", self.manager)
		self.assertEqual(memory.status_code, 200, memory.text)
		self.assertIn("breakdown", memory.message)
		self.assertIn("share this Redis", memory.message["note"])
		dry = rest.call("perf_engine.api.cleanup_redis", self.manager, dry_run=1, force=1)
		self.assertEqual(dry.status_code, 200, dry.text)
		self.assertTrue(dry.message["dry_run"])
		frappe.db.rollback()  # a fresh snapshot sees what the request committed
		self.assertEqual(frappe.db.get_value("Redis Cleanup Log", dry.message["log"], "trigger"), "Manual")

	def test_cleanup_over_rest_deletes_only_this_sites_entries(self):
		"""A forced cleanup drops this site's cached documents; another site's and the generations stay."""
		client, prefix = bridge.cache_redis(), bridge.cache_prefix()
		ours = [prefix + keys.DOC.format(doctype="User", name=f"cleanup-probe-{i}") for i in range(2500)]
		other_site = "_perf_engine_other_site|" + keys.DOC.format(doctype="User", name="cleanup-probe")
		generation_key = prefix + keys.GENERATION.format(doctype="User")
		client.mset({key: "x" for key in [*ours, other_site]})
		client.incr(generation_key)
		try:
			dry = rest.call("perf_engine.api.cleanup_redis", self.manager, dry_run=1, force=1)
			self.assertGreaterEqual(dry.message["keys"], len(ours), dry.text)
			self.assertEqual(client.exists(*ours), len(ours))
			done = rest.call("perf_engine.api.cleanup_redis", self.manager, dry_run=0, force=1)
			self.assertEqual(done.status_code, 200, done.text)
			self.assertGreaterEqual(done.message["keys"], len(ours))
			self.assertEqual(client.exists(*ours), 0)
			self.assertEqual(client.exists(other_site, generation_key), 2)
		finally:
			client.delete(other_site)

	def test_guest_and_plain_users_are_refused(self):
		"""Every cache method answers 403 to Guest and to a plain user."""
		for method in (
			"perf_engine.api.get_redis_memory",
			"perf_engine.api.cleanup_redis",
			"perf_engine.api.warm_caches",
		):
			self.assertEqual(rest.call(method, None).status_code, 403, method)
			self.assertEqual(rest.call(method, self.plain).status_code, 403, method)
