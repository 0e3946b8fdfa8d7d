"""perf_engine's cache for Frappe apps: cached documents, lists and reports with O(1) invalidation.

    from perf_engine.cache import get_cached_doc, get_cached_list, get_cached_report

Every DocType's lists and reports are keyed by its generation counter, which the doc
events below bump on each change, together with the counters of DocTypes that link to it.
"""

import logging

import frappe

from perf_engine.core import redis_cleanup
from perf_engine.core.cache import keys, links
from perf_engine.core.cache.l1 import L1Cache
from perf_engine.core.cache.store import SiteCache
from perf_engine.core.ratelimit import RateLimitedLog
from perf_engine.services import bridge, settings

# One L1 per site and process; its size and TTL come from settings at first use.
L1_BY_SITE: dict[str, L1Cache] = {}
CACHED_VALUE_PATTERNS = ("perf_engine:doc:*", "perf_engine:list:*", "perf_engine:report:*")
failures = RateLimitedLog(logging.getLogger(__name__))


def site_cache_store() -> SiteCache:
	"""This site's cache over Frappe's Redis pool, with the process-wide L1 when enabled."""
	current = settings.get()
	l1 = None
	if current.l1_cache_size:
		l1 = L1_BY_SITE.setdefault(frappe.local.site, L1Cache(current.l1_cache_size, current.l1_cache_ttl))
	return SiteCache(bridge.cache_redis(), bridge.cache_prefix(), current.cache_ttl, l1)


def get_cached_doc(doctype: str, name: str) -> dict:
	"""A document as a dict, read through the cache; permission-checked like frappe.get_doc."""
	frappe.has_permission(doctype, "read", name, throw=True)
	return site_cache_store().get_doc(
		doctype, name, lambda: frappe.get_doc(doctype, name).as_dict(no_default_fields=False)
	)


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
	return site_cache_store().get_list(
		doctype,
		params,
		lambda: frappe.get_list(
			doctype,
			fields=params["fields"],
			filters=params["filters"],
			order_by=order_by,
			limit_page_length=limit,
		),
	)


def get_cached_report(report_name: str, filters: dict | None = None) -> dict:
	"""A query or script report's result, valid until any DocType it is built on changes."""
	from frappe.desk.query_report import run

	report = frappe.get_cached_doc("Report", report_name)
	params = {"filters": filters or {}, "user": frappe.session.user}
	return site_cache_store().get_report(
		report_name, [report.ref_doctype], params, lambda: run(report_name, filters=filters or {})
	)


def invalidate(doc, method: str | None = None, *args) -> None:
	"""Doc event for every DocType: drop the entry, bump its and its linking DocTypes' generations.

	Never raises: a save must not fail because the cache is unreachable. During install and
	migrate the link map is not rebuilt per document; `after_migrate` drops every cached value.
	"""
	if frappe.flags.in_uninstall:
		return  # perf_engine's own settings are being removed; nothing of it is cached any more
	try:
		cache = site_cache_store()
		bulk = frappe.flags.in_install or frappe.flags.in_migrate
		linking = None if bulk else links.linking_doctypes(cache.client, cache.prefix, doc.doctype)
		if linking is None and not bulk:
			linking = refresh_link_map().get(doc.doctype, [])
		cache.invalidate(doc.doctype, doc.name, linking or [])
		if method == "after_rename" and args:
			cache.invalidate(doc.doctype, args[0])
	except Exception as exc:
		failures.error("cache invalidation failed for %s %s: %s", doc.doctype, doc.name, exc)


def forget_link_map(doc=None, method: str | None = None) -> None:
	"""A DocType or Custom Field changed: the next invalidation rebuilds the map once."""
	try:
		bridge.cache_redis().delete(bridge.cache_prefix() + keys.LINK_MAP)
	except Exception as exc:
		failures.error("could not drop the link map: %s", exc)


def refresh_link_map() -> dict[str, list[str]]:
	"""Recompute who links to whom from DocField and Custom Field Link fields."""
	rows = frappe.db.sql(
		"""SELECT parent, options FROM `tabDocField` WHERE fieldtype = 'Link' AND IFNULL(options, '') != ''
		UNION SELECT dt, options FROM `tabCustom Field` WHERE fieldtype = 'Link' AND IFNULL(options, '') != ''"""
	)
	link_map = links.build(rows)
	links.store(bridge.cache_redis(), bridge.cache_prefix(), link_map)
	return link_map


def drop_cached_values() -> dict:
	"""After a migrate, forget every value perf_engine cached for this site (SCAN + UNLINK)."""
	forget_link_map()
	return redis_cleanup.cleanup(
		bridge.cache_redis(), bridge.cache_prefix(), CACHED_VALUE_PATTERNS, dry_run=False, force=True
	)
