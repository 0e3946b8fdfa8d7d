"""perf_engine's cache for this site: cached documents, lists and reports with O(1) invalidation.

Other apps import the reads through the facade `perf_engine.cache`; the doc-event hooks
point here. Every DocType's lists and reports are keyed by its generation counter. A document event
only records the change in the open transaction (no Redis call); until it ends this
process reads around the cache for what it changed, and after commit one pipelined round
trip drops the documents and bumps the generations of their DocTypes and of the DocTypes
linking to them. Why not before commit: see `perf_engine.core.cache.changes`.
"""

import logging

import frappe
import frappe.model

from perf_engine.core.cache import changes, housekeeping, links
from perf_engine.core.cache.changes import PendingChanges
from perf_engine.core.cache.l1 import L1Cache
from perf_engine.core.cache.links import LinkMap, ProcessLinkMaps
from perf_engine.core.cache.store import SiteCache
from perf_engine.core.ratelimit import RateLimitedLog
from perf_engine.core.redis import cleanup as redis_cleanup
from perf_engine.services import bridge, settings

# One L1 per site and process; its size and TTL come from settings at first use.
L1_BY_SITE: dict[str, L1Cache] = {}
# This process's copy of each site's link map.
LINK_MAPS = ProcessLinkMaps()
# The open transaction's changes live on frappe.local: one record per request, job or thread.
PENDING = "perf_engine_pending_changes"
CACHED_VALUE_PATTERNS = ("perf_engine:doc:*", "perf_engine:list:*", "perf_engine:report:*")
LINK_KINDS = {
	"Link": links.LINK,
	"Dynamic Link": links.DYNAMIC_LINK,
	**dict.fromkeys(frappe.model.table_fields, links.TABLE),
}
failures = RateLimitedLog(logging.getLogger(__name__))


def site_cache_store() -> SiteCache:
	"""This site's cache over Frappe's Redis pool, with the process-wide L1 when enabled."""
	current = settings.get()
	l1 = None
	if current.l1_cache_size:
		l1 = L1_BY_SITE.setdefault(frappe.local.site, L1Cache(current.l1_cache_size, current.l1_cache_ttl))
	return SiteCache(bridge.cache_redis(), bridge.cache_prefix(), current.cache_ttl, l1)


def pending_changes() -> PendingChanges | None:
	return getattr(frappe.local, PENDING, None)


def changed_here(doctypes: list[str]) -> bool:
	"""Whether this process's open transaction changed something lists or reports over `doctypes` read."""
	pending = pending_changes()
	return bool(pending) and pending.touches(doctypes, current_link_map)


def get_cached_doc(doctype: str, name: str) -> dict:
	"""A document as a dict, read through the cache; permission-checked like frappe.get_doc."""
	frappe.has_permission(doctype, "read", name, throw=True)

	def load() -> dict:
		return frappe.get_doc(doctype, name).as_dict(no_default_fields=False)

	pending = pending_changes()
	if pending and pending.touches_doc(doctype, name):
		return load()
	return site_cache_store().get_doc(doctype, name, load)


def get_cached_list(
	doctype: str,
	fields: list | None = None,
	filters: dict | None = None,
	order_by: str | None = None,
	limit: int = 20,
) -> list:
	"""frappe.get_list through the cache, keyed per user because permissions shape the result."""
	params = {
		"fields": fields or ["name"],
		"filters": filters or {},
		"order_by": order_by,
		"limit": limit,
		"user": frappe.session.user,
	}

	def load() -> list:
		return frappe.get_list(
			doctype,
			fields=params["fields"],
			filters=params["filters"],
			order_by=order_by,
			limit_page_length=limit,
		)

	if changed_here([doctype]):
		return load()
	depends_on = current_link_map().extra_generations([doctype])
	return site_cache_store().get_list(doctype, params, load, depends_on)


def get_cached_report(report_name: str, filters: dict | None = None) -> dict:
	"""A query or script report's result, valid until any DocType it is built on changes."""
	from frappe.desk.query_report import run

	report = frappe.get_cached_doc("Report", report_name)
	params = {"filters": filters or {}, "user": frappe.session.user}

	def load() -> dict:
		return run(report_name, filters=filters or {})

	if changed_here([report.ref_doctype]):
		return load()
	generations = current_link_map().generations([report.ref_doctype])
	return site_cache_store().get_report(report_name, generations, params, load)


def open_changes() -> PendingChanges:
	"""This transaction's record; its first change registers the commit and rollback callbacks."""
	pending = pending_changes()
	if pending is None:
		pending = PendingChanges()
		setattr(frappe.local, PENDING, pending)
	bridge.follow_transaction(pending, commit_changes, forget_changes)
	return pending


def invalidate(doc, method: str | None = None, *args) -> None:
	"""Doc event for every DocType: record the change, to be invalidated once the transaction commits.

	Never raises: a save must not fail because of the cache. During install and migrate the
	link map is not followed; `after_migrate` drops every cached value.
	"""
	if frappe.flags.in_uninstall:
		return  # perf_engine's own settings are being removed; nothing of it is cached any more
	try:
		pending = open_changes()
		follow_links = not (frappe.flags.in_install or frappe.flags.in_migrate)
		pending.record(doc.doctype, doc.name, follow_links)
		if method == "after_rename" and args:
			pending.record(doc.doctype, args[0], follow_links)
	except Exception as exc:
		failures.error("could not record the change of %s %s: %s", doc.doctype, doc.name, exc)


def forget_link_map(doc=None, method: str | None = None) -> None:
	"""A DocType, Custom Field or Property Setter changed: after commit every process rebuilds its map once."""
	try:
		open_changes().schema_changed = True
	except Exception as exc:
		failures.error("could not record a schema change for the link map: %s", exc)


def commit_changes() -> None:
	"""After commit: one pipelined round trip invalidates what the transaction changed. Never raises."""
	pending = pending_changes()
	committed = pending.take() if pending is not None else None
	if not committed:
		return
	try:
		cache = SiteCache(
			bridge.cache_redis(),
			bridge.cache_prefix(),
			l1=L1_BY_SITE.get(frappe.local.site),
			own=bridge.cache_own_connection(),
		)
		changes.invalidate_committed(cache, LINK_MAPS, committed, link_rows)
	except Exception as exc:
		failures.error("cache invalidation after commit failed: %s", exc)


def forget_changes() -> None:
	"""After rollback: nothing changed that anyone could have cached, so only the record goes."""
	pending = pending_changes()
	if pending is not None:
		pending.take()


def current_link_map() -> LinkMap:
	"""This process's link map for the site, loaded on first use and re-checked every few seconds."""
	return LINK_MAPS.for_reading(bridge.cache_redis(), bridge.cache_prefix(), link_rows)


def link_rows() -> list[links.LinkRow]:
	"""Link, Dynamic Link and table fields of DocTypes and Custom Fields, and Property Setters
	that point a Link elsewhere (an over-wide map costs an extra counter bump, a narrow one stale data)."""
	rows = frappe.db.sql(
		"""SELECT parent, fieldtype, options FROM `tabDocField`
			WHERE fieldtype IN %(kinds)s AND IFNULL(options, '') != ''
		UNION ALL SELECT dt, fieldtype, options FROM `tabCustom Field`
			WHERE fieldtype IN %(kinds)s AND IFNULL(options, '') != ''
		UNION ALL SELECT ps.doc_type, df.fieldtype, ps.value FROM `tabProperty Setter` ps
			JOIN `tabDocField` df ON df.parent = ps.doc_type AND df.fieldname = ps.field_name
			WHERE ps.property = 'options' AND df.fieldtype IN %(kinds)s AND IFNULL(ps.value, '') != ''""",
		{"kinds": tuple(LINK_KINDS)},
	)
	return [(LINK_KINDS[fieldtype], holder, options) for holder, fieldtype, options in rows]


def drop_cached_values() -> dict:
	"""After a migrate, forget every value perf_engine cached for this site (SCAN + UNLINK) and the link map."""
	client, prefix = bridge.cache_redis(), bridge.cache_prefix()
	client.incr(links.version_key(prefix))
	LINK_MAPS.forget(prefix)
	return redis_cleanup.cleanup(client, prefix, CACHED_VALUE_PATTERNS, dry_run=False, force=True)


def prune_generations() -> int:
	"""The daily prune's part in Redis: remove this site's generation counters of DocTypes that no longer
	exist, once idle longer than any value cached under them can live."""
	current = settings.get()
	existing = set(frappe.get_all("DocType", pluck="name"))
	return housekeeping.prune_generations(
		bridge.cache_redis(), bridge.cache_prefix(), existing, current.cache_ttl + current.l1_cache_ttl
	)
