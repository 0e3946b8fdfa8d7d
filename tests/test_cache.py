"""The generation cache on a real Redis: invalidation, L1 bounds and staleness, Redis down."""

import time

import redis

from perf_engine.core.cache import keys
from perf_engine.core.cache.l1 import MISSING, L1Cache
from perf_engine.core.cache.store import SiteCache

PREFIX = "_site_a|"


class Loader:
	"""Counts how often the database would have been asked."""

	def __init__(self, value):
		self.value = value
		self.calls = 0

	def __call__(self):
		self.calls += 1
		return self.value


def test_doc_cached_then_dropped_on_invalidation(redis_client):
	"""A document is loaded once, served from Redis, and reloaded after its invalidation."""
	cache = SiteCache(redis_client, PREFIX)
	loader = Loader({"name": "C-1", "credit_limit": 10})
	assert cache.get_doc("Customer", "C-1", loader) == {"name": "C-1", "credit_limit": 10}
	assert cache.get_doc("Customer", "C-1", loader)["credit_limit"] == 10 and loader.calls == 1
	assert redis_client.ttl(PREFIX + "perf_engine:doc:Customer:C-1") > 0
	cache.invalidate(docs=[("Customer", "C-1")], doctypes=["Customer"])
	loader.value = {"name": "C-1", "credit_limit": 99}
	assert cache.get_doc("Customer", "C-1", loader)["credit_limit"] == 99 and loader.calls == 2


def test_one_bump_invalidates_every_list_and_report_of_a_doctype(redis_client):
	"""Bumping a generation makes all its lists and reports miss, linking DocTypes included."""
	cache = SiteCache(redis_client, PREFIX)
	lists = [Loader([i]) for i in range(50)]
	for i, loader in enumerate(lists):
		cache.get_list("Sales Invoice", {"page": i}, loader)
	report = Loader({"rows": 1})
	cache.get_report("Accounts Receivable", ["Sales Invoice", "Customer"], {"company": "X"}, report)
	cache.get_report("Accounts Receivable", ["Sales Invoice", "Customer"], {"company": "X"}, report)
	assert report.calls == 1
	cache.invalidate(docs=[("Customer", "C-1")], doctypes=["Customer", "Sales Invoice"])
	for i, loader in enumerate(lists):
		cache.get_list("Sales Invoice", {"page": i}, loader)
		assert loader.calls == 2
	cache.get_report("Accounts Receivable", ["Customer", "Sales Invoice"], {"company": "X"}, report)
	assert report.calls == 2


def test_invalidation_costs_the_same_whatever_the_key_count(private_redis):
	"""Invalidation makes Redis process the same few commands with 10 or 5,000 cached lists.

	A redis-server of the test's own: the shared one counts every other client's commands too."""
	redis_client = private_redis
	cache = SiteCache(redis_client, PREFIX)
	processed = []
	cache.invalidate(doctypes=["Item"])  # the server loads the script on first use
	for count in (10, 5000):
		with redis_client.pipeline(transaction=False) as pipe:
			for i in range(count):
				pipe.set(PREFIX + keys.LIST.format(doctype="Item", generation=0, digest=i), "[]")
			pipe.execute()
		before = redis_client.info("stats")["total_commands_processed"]
		cache.invalidate(docs=[("Item", "I-1")], doctypes=["Item", "Bin"])
		processed.append(redis_client.info("stats")["total_commands_processed"] - before)
	assert processed[0] == processed[1] <= 5  # EVALSHA running UNLINK and 2 x INCR, and the INFO call itself


def test_l1_is_bounded_and_expires():
	"""The LRU keeps at most max_entries, drops the least recently used, and forgets after its TTL."""
	l1 = L1Cache(max_entries=3, ttl_s=0.2)
	for key in "abc":
		l1.set(key, key)
	l1.get("a")
	l1.set("d", "d")
	assert len(l1) == 3 and l1.get("b") is MISSING and l1.get("a") == "a"
	time.sleep(0.25)
	assert l1.get("a") is MISSING


def test_l1_staleness_is_bounded_by_its_ttl_across_processes(redis_client):
	"""Another process's change is invisible for at most the L1 TTL; our own change at once."""
	writer = SiteCache(redis_client, PREFIX, l1=L1Cache(100, ttl_s=0.5))
	reader = SiteCache(redis_client, PREFIX, l1=L1Cache(100, ttl_s=0.5))
	old, new = Loader(["old"]), Loader(["new"])
	assert reader.get_list("Item", {}, old) == ["old"]
	writer.invalidate(doctypes=["Item"])
	assert reader.get_list("Item", {}, new) == ["old"], (
		"within the TTL the reader may still serve its L1 copy"
	)
	time.sleep(0.55)
	assert reader.get_list("Item", {}, new) == ["new"]
	reader.invalidate(doctypes=["Item"])
	assert reader.get_list("Item", {}, Loader(["newest"])) == ["newest"], "own change is never stale"


def test_redis_down_during_invalidation_is_survived_and_logged_once(caplog):
	"""With Redis unreachable invalidation returns False, raises nothing, and logs once a minute."""
	dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
	cache = SiteCache(dead, PREFIX)
	assert cache.invalidate(docs=[("Customer", "C-1")], doctypes=["Customer"]) is False
	assert cache.invalidate(docs=[("Customer", "C-2")], doctypes=["Customer"]) is False
	failures = [r for r in caplog.records if "cache invalidation" in r.getMessage()]
	assert len(failures) == 1
