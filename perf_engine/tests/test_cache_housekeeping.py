"""The daily prune removes this site's generation counters of DocTypes that no longer exist."""

import frappe
from frappe.tests.utils import FrappeTestCase

from perf_engine.core.cache import keys
from perf_engine.services import bridge

PRUNE_HOOK = "perf_engine.tasks.history.prune_history"
DAY_S = 24 * 3600


def idle_counter(doctype: str) -> str:
	"""This site's counter of `doctype`, bumped once and made to look untouched for a day."""
	client = bridge.cache_redis()
	key = bridge.cache_prefix() + keys.GENERATION.format(doctype=doctype)
	client.incr(key)  # a bump only invalidates: harmless for a DocType that exists
	client.restore(key, 0, client.dump(key), replace=True, idletime=DAY_S)
	return key


class TestCacheHousekeeping(FrappeTestCase):
	def test_the_daily_prune_removes_counters_of_deleted_doctypes(self):
		"""After the daily job, a missing DocType's counter is gone and an existing one's stays."""
		self.assertIn(PRUNE_HOOK, frappe.get_hooks("scheduler_events")["daily"])
		missing = f"Perf Engine Gone {frappe.generate_hash(length=8)}"
		self.assertFalse(frappe.db.exists("DocType", missing))
		gone, live = idle_counter(missing), idle_counter("ToDo")
		self.addCleanup(bridge.cache_redis().delete, gone)
		frappe.get_attr(PRUNE_HOOK)()
		client = bridge.cache_redis()
		self.assertFalse(client.exists(gone))
		self.assertTrue(client.exists(live))
