import frappe
import redis
from frappe.tests.utils import FrappeTestCase

from perf_engine import cache
from perf_engine.core.cache import keys
from perf_engine.services import bridge
from perf_engine.services.settings import DOCTYPE as SETTINGS
from perf_engine.tests import rest

TEST_DOCTYPE = "Perf Engine Cache Probe"
WARM_HOOK = "perf_engine.tasks.cache.warm_caches"


def ensure_probe_doctype() -> None:
	"""A submittable, renamable custom DocType linking to User, made once and committed."""
	if frappe.db.exists("DocType", TEST_DOCTYPE):
		return
	frappe.get_doc(
		{
			"doctype": "DocType",
			"name": TEST_DOCTYPE,
			"module": "Perf Engine",
			"custom": 1,
			"is_submittable": 1,
			"allow_rename": 1,
			"autoname": "Prompt",
			"fields": [
				{"fieldname": "amount", "fieldtype": "Int", "label": "Amount"},
				{"fieldname": "owner_user", "fieldtype": "Link", "options": "User", "label": "User"},
			],
			"permissions": [
				{
					"role": "System Manager",
					"read": 1,
					"write": 1,
					"create": 1,
					"submit": 1,
					"cancel": 1,
					"delete": 1,
				}
			],
		}
	).insert()
	frappe.db.commit()


def generation(doctype: str) -> int:
	return int(bridge.cache_redis().get(bridge.cache_prefix() + keys.GENERATION.format(doctype=doctype)) or 0)


class TestCacheEvents(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		ensure_probe_doctype()
		frappe.db.set_single_value(SETTINGS, "l1_cache_size", 0)

	def make_probe(self, label: str, amount: int = 1):
		"""A probe with a unique name, since renames and DDL elsewhere commit earlier runs' probes."""
		name = f"{label}-{frappe.generate_hash(length=6)}"
		return frappe.get_doc({"doctype": TEST_DOCTYPE, "__newname": name, "amount": amount}).insert()

	def test_save_drops_the_cached_document(self):
		"""Editing and saving a document makes the next cached read return the new value."""
		probe = self.make_probe("save-probe", 1)
		self.assertEqual(cache.get_cached_doc(TEST_DOCTYPE, probe.name)["amount"], 1)
		probe.amount = 2
		probe.save()
		self.assertEqual(cache.get_cached_doc(TEST_DOCTYPE, probe.name)["amount"], 2)

	def test_submit_and_cancel_invalidate_lists(self):
		"""A cached list reflects a submit and then a cancel, each bumping the generation."""
		probe = self.make_probe("submit-probe")

		def cached_docstatus() -> int:
			rows = cache.get_cached_list(TEST_DOCTYPE, fields=["docstatus"], filters={"name": probe.name})
			return rows[0]["docstatus"]

		self.assertEqual(cached_docstatus(), 0)
		before = generation(TEST_DOCTYPE)
		probe.submit()
		self.assertEqual(cached_docstatus(), 1)
		submitted = generation(TEST_DOCTYPE)
		probe.cancel()
		self.assertEqual(cached_docstatus(), 2)
		self.assertGreater(submitted, before)
		self.assertGreater(generation(TEST_DOCTYPE), submitted)

	def test_rename_and_delete_drop_entries(self):
		"""Renaming drops the old name's entry; deleting drops the document's entry."""
		old = self.make_probe("old-name", 5).name
		new = f"{old}-renamed"

		def cached(name: str) -> bool:
			return bool(
				bridge.cache_redis().exists(
					bridge.cache_prefix() + keys.DOC.format(doctype=TEST_DOCTYPE, name=name)
				)
			)

		cache.get_cached_doc(TEST_DOCTYPE, old)
		self.assertTrue(cached(old))
		frappe.rename_doc(TEST_DOCTYPE, old, new)
		self.assertFalse(cached(old))
		cache.get_cached_doc(TEST_DOCTYPE, new)
		frappe.delete_doc(TEST_DOCTYPE, new)
		self.assertFalse(cached(new))

	def test_saving_a_linked_document_bumps_linking_doctypes(self):
		"""Saving a User bumps the generation of DocTypes with a Link to User."""
		before = generation(TEST_DOCTYPE)
		frappe.get_doc("User", "Administrator").save()
		self.assertGreater(generation(TEST_DOCTYPE), before)

	def test_save_survives_redis_down(self):
		"""With the cache Redis unreachable the save still succeeds."""
		original = bridge.cache_redis
		bridge.cache_redis = lambda: redis.Redis(port=1, socket_connect_timeout=0.2)
		try:
			probe = self.make_probe("redis-down-probe", 1)
			probe.amount = 3
			probe.save()
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
