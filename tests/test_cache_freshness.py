"""Freshness under concurrency on a real Redis: leases, generations read before loading, one
invalidation after commit with the link map checked in the same round trip."""

import logging
import time

import redis

from perf_engine.core.cache import keys, links
from perf_engine.core.cache.changes import PendingChanges, invalidate_committed
from perf_engine.core.cache.l1 import L1Cache
from perf_engine.core.cache.links import ANY_DOCTYPE, DYNAMIC_LINK, LINK, TABLE, LinkMap, ProcessLinkMaps
from perf_engine.core.cache.store import SiteCache
from tests.test_cache import Loader

PREFIX = "_site_a|"
# Sales Invoice holds Items in a child table; ToDo points anywhere through a Dynamic Link.
SCHEMA = [
	(TABLE, "Sales Invoice", "Sales Invoice Item"),
	(TABLE, "POS Invoice", "Sales Invoice Item"),
	(LINK, "Sales Invoice Item", "Item"),
	(LINK, "Sales Invoice", "Customer"),
	(LINK, "Customer", "Customer"),
	(LINK, "Item", "Item Group"),
	(DYNAMIC_LINK, "ToDo", "reference_type"),
	(TABLE, "Contact", "Dynamic Link"),
	(DYNAMIC_LINK, "Dynamic Link", "link_doctype"),
	(LINK, "Sales Invoice", ""),
]


class CountingConnection(redis.Connection):
	"""A real connection that counts the requests it sends: one per command or pipeline."""

	sent = 0

	def send_packed_command(self, command, check_health=True):
		CountingConnection.sent += 1
		return super().send_packed_command(command, check_health)


def counting_client(redis_client: redis.Redis) -> redis.Redis:
	"""A client on the same database whose connection is open (SELECT sent) and scripts loaded."""
	kwargs = redis_client.connection_pool.connection_kwargs
	client = redis.Redis(connection_pool=redis.ConnectionPool(connection_class=CountingConnection, **kwargs))
	client.ping()
	SiteCache(client, "_warm_up|").invalidate(doctypes=["x"])  # the script is loaded on first use
	return client


def round_trips(action) -> int:
	before = CountingConnection.sent
	action()
	return CountingConnection.sent - before


def test_child_table_links_count_for_the_parents_and_dynamic_links_for_any_doctype():
	"""Item's dependants are the invoices holding Item rows, not the child table; DocTypes with a
	Dynamic Link (also through a child table) read the generation every change bumps."""
	link_map = LinkMap(1, links.build(SCHEMA))
	assert link_map.parents("Item") == ["POS Invoice", "Sales Invoice", ANY_DOCTYPE]
	assert "Sales Invoice Item" not in link_map.parents("Item")
	assert link_map.parents("Customer") == ["Sales Invoice", ANY_DOCTYPE], "never its own dependant"
	assert link_map.linking[ANY_DOCTYPE] == ["Contact", "ToDo"]
	assert link_map.generations(["Contact"]) == ["Contact", ANY_DOCTYPE]
	assert link_map.generations(["Sales Invoice"]) == ["Sales Invoice"]
	assert LinkMap(1, links.build([(LINK, "Sales Invoice", "Customer")])).parents("Customer") == [
		"Sales Invoice"
	]


def test_link_map_is_built_once_per_version_and_rebuilt_after_a_schema_change(redis_client):
	"""The stored map is reused while its version holds; after the version is bumped it is rebuilt once."""
	built = []

	def load_rows():
		built.append(1)
		return SCHEMA

	first = links.current(redis_client, PREFIX, load_rows)
	again = links.current(redis_client, PREFIX, load_rows)
	assert first == again and len(built) == 1
	redis_client.incr(links.version_key(PREFIX))
	rebuilt = links.current(redis_client, PREFIX, lambda: [*SCHEMA, (LINK, "Quotation", "Item")])
	assert rebuilt.version == first.version + 1 and "Quotation" in rebuilt.parents("Item")
	assert links.current(redis_client, PREFIX, load_rows) == rebuilt and len(built) == 1


def test_a_document_loaded_before_an_invalidation_is_not_stored_after_it(redis_client):
	"""The race of issue 16: a reader loads v1, the writer commits v2 and invalidates, the reader's
	late store is refused, and the next read loads v2."""
	reader, writer = SiteCache(redis_client, PREFIX), SiteCache(redis_client, PREFIX)

	def load_then_writer_commits():
		writer.invalidate(docs=[("Customer", "C-1")], doctypes=["Customer"])
		return {"credit_limit": 1}

	assert reader.get_doc("Customer", "C-1", load_then_writer_commits) == {"credit_limit": 1}
	assert not redis_client.exists(PREFIX + keys.DOC.format(doctype="Customer", name="C-1"))
	fresh = Loader({"credit_limit": 2})
	assert reader.get_doc("Customer", "C-1", fresh) == {"credit_limit": 2}
	assert reader.get_doc("Customer", "C-1", fresh) == {"credit_limit": 2} and fresh.calls == 1


def test_a_list_loaded_before_an_invalidation_lands_under_the_old_generation(redis_client):
	"""A list loaded while the generation is bumped is stored under the old generation: never read again."""
	reader, writer = SiteCache(redis_client, PREFIX), SiteCache(redis_client, PREFIX)

	def load_then_writer_commits():
		writer.invalidate(doctypes=["Item"])
		return ["v1"]

	assert reader.get_list("Item", {}, load_then_writer_commits) == ["v1"]
	assert reader.get_list("Item", {}, Loader(["v2"])) == ["v2"]


def test_pending_changes_touch_their_documents_doctypes_and_linking_doctypes():
	"""An open transaction that saved an Item reads Sales Invoice reports around the cache, not Notes."""
	link_map = LinkMap(1, links.build(SCHEMA))
	pending = PendingChanges()
	assert not pending and not pending.touches(["Item"], lambda: link_map)
	pending.record("Item", "I-1")
	assert pending.touches_doc("Item", "I-1") and not pending.touches_doc("Item", "I-2")
	assert pending.touches(["Sales Invoice"], lambda: link_map) and not pending.touches(
		["Note"], lambda: link_map
	)
	assert pending.touches(["ToDo"], lambda: link_map), "a Dynamic Link can point at the Item"
	taken = pending.take()
	assert taken.docs == {("Item", "I-1")} and not pending and pending.registered_on is None


def test_one_round_trip_after_commit_invalidates_documents_doctypes_and_parents(redis_client):
	"""With this process's link map current, a transaction's invalidation is one pipelined round trip."""
	client = counting_client(redis_client)
	cache, maps = SiteCache(client, PREFIX), ProcessLinkMaps()
	maps.load(client, PREFIX, lambda: SCHEMA)
	cache.get_doc("Item", "I-1", Loader({"v": 1}))
	cached_report, todos = Loader({"rows": 1}), Loader(["todo"])
	cache.get_report("Sales Register", ["Sales Invoice"], {}, cached_report)
	cache.get_list("ToDo", {}, todos, depends_on=[ANY_DOCTYPE])
	pending = PendingChanges()
	pending.record("Item", "I-1")
	pending.record("Item", "I-2")
	assert round_trips(lambda: invalidate_committed(cache, maps, pending.take(), lambda: SCHEMA)) == 1
	assert not client.exists(PREFIX + keys.DOC.format(doctype="Item", name="I-1"))
	cache.get_report("Sales Register", ["Sales Invoice"], {}, cached_report)
	assert cached_report.calls == 2, "the parent of Item's child table rows was invalidated"
	cache.get_list("ToDo", {}, todos, depends_on=[ANY_DOCTYPE])
	assert todos.calls == 2, "a list of a DocType with a Dynamic Link was invalidated"


def test_a_schema_change_elsewhere_is_caught_by_the_version_in_the_same_pipeline(redis_client):
	"""Another process changed the schema: the next invalidation sees the new version and covers new parents."""
	cache, maps = SiteCache(redis_client, PREFIX), ProcessLinkMaps()
	maps.load(redis_client, PREFIX, lambda: SCHEMA)
	elsewhere = PendingChanges(schema_changed=True)
	invalidate_committed(cache, ProcessLinkMaps(), elsewhere, lambda: SCHEMA)
	new_schema = [*SCHEMA, (LINK, "Quotation", "Item")]
	report = Loader({"rows": 1})
	cache.get_report("Quotations", ["Quotation"], {}, report)
	pending = PendingChanges()
	pending.record("Item", "I-1")
	assert invalidate_committed(cache, maps, pending, lambda: new_schema)
	cache.get_report("Quotations", ["Quotation"], {}, report)
	assert report.calls == 2 and "Quotation" in maps.get(PREFIX).parents("Item")


def test_install_and_migrate_changes_skip_the_link_map(redis_client):
	"""Changes recorded without following links bump only their own DocType and never build the map."""
	client = counting_client(redis_client)
	pending = PendingChanges()
	pending.record("Item", "I-1", follow_links=False)

	def no_map():
		raise AssertionError("the link map must not be built during install or migrate")

	assert (
		round_trips(
			lambda: invalidate_committed(SiteCache(client, PREFIX), ProcessLinkMaps(), pending, no_map)
		)
		== 1
	)
	assert client.get(PREFIX + keys.GENERATION.format(doctype="Item")) == b"1"
	assert client.get(PREFIX + keys.GENERATION.format(doctype="Sales Invoice")) is None


def test_l1_entries_of_committed_changes_are_dropped_in_this_process(redis_client):
	"""The committing process's own L1 forgets the documents and generations it invalidated."""
	cache = SiteCache(redis_client, PREFIX, l1=L1Cache(100, ttl_s=60))
	cache.get_doc("Item", "I-1", Loader({"v": 1}))
	cache.get_list("Item", {}, Loader(["old"]))
	pending = PendingChanges()
	pending.record("Item", "I-1", follow_links=False)
	invalidate_committed(cache, ProcessLinkMaps(), pending, lambda: SCHEMA)
	assert cache.get_doc("Item", "I-1", Loader({"v": 2})) == {"v": 2}
	assert cache.get_list("Item", {}, Loader(["new"])) == ["new"]


def test_redis_down_after_commit_is_survived_and_logged_once(caplog):
	"""With Redis unreachable the after-commit invalidation returns False, raises nothing, logs once a minute."""
	dead = SiteCache(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2), PREFIX)
	pending = PendingChanges()
	pending.record("Item", "I-1")
	with caplog.at_level(logging.ERROR):
		assert invalidate_committed(dead, ProcessLinkMaps(), pending, lambda: SCHEMA) is False
		assert invalidate_committed(dead, ProcessLinkMaps(), pending, lambda: SCHEMA) is False
	assert len([r for r in caplog.records if "after commit failed" in r.getMessage()]) == 1


def test_a_reading_process_learns_of_a_schema_change_within_the_recheck_time(redis_client, monkeypatch):
	"""A process that only reads keeps its map, re-checks the version after RECHECK_S, and reloads it."""
	monkeypatch.setattr(links, "RECHECK_S", 0.2)
	reader, built = ProcessLinkMaps(), []

	def load_rows():
		built.append(1)
		return SCHEMA if len(built) == 1 else [*SCHEMA, (LINK, "Quotation", "Item")]

	first = reader.for_reading(redis_client, PREFIX, load_rows)
	redis_client.incr(links.version_key(PREFIX))
	assert reader.for_reading(redis_client, PREFIX, load_rows) is first, "within the re-check time"
	time.sleep(0.25)
	assert "Quotation" in reader.for_reading(redis_client, PREFIX, load_rows).parents("Item")
