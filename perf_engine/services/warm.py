"""The cache warmer: this site's configured documents, lists and reports read into the cache."""

import logging
import time
import uuid
from collections.abc import Callable

import frappe
from frappe.utils import now_datetime

from perf_engine.core.cache.keys import WARM_LOCK
from perf_engine.services import bridge, settings
from perf_engine.services.cache import get_cached_doc, get_cached_list, get_cached_report

WARM_LOCK_TTL_S = 3600
logger = logging.getLogger(__name__)
DEFAULT_WARM = (
	{"warm_type": "DocType", "target": "User", "most_recent": 20},
	{"warm_type": "DocType", "target": "Role", "most_recent": 50},
	{"warm_type": "DocType", "target": "Company", "most_recent": 10},
	{"warm_type": "DocType", "target": "Customer", "most_recent": 50},
	{"warm_type": "DocType", "target": "Item", "most_recent": 50},
	{"warm_type": "Single", "target": "System Settings"},
)


def warm_entries() -> list[dict]:
	"""The settings' warm list, or the defaults that exist on this site."""
	rows = settings.warm_rows()
	if rows:
		return rows
	return [row for row in DEFAULT_WARM if frappe.db.exists("DocType", row["target"])]


def warm_entry(entry: dict) -> int:
	"""Warm one entry; returns how many values it cached."""
	target = entry["target"]
	if entry["warm_type"] == "Single":
		get_cached_doc(target, target)
		return 1
	if entry["warm_type"] == "Report":
		get_cached_report(target)
		return 1
	names = [n.strip() for n in (entry.get("document_names") or "").splitlines() if n.strip()]
	if not names:
		names = frappe.get_all(
			target, order_by="modified desc", limit=entry.get("most_recent") or 20, pluck="name"
		)
		get_cached_list(target, limit=entry.get("most_recent") or 20, order_by="modified desc")
	for name in names:
		get_cached_doc(target, name)
	return len(names)


def warm_caches(on_progress: Callable[[int, int], None] | None = None) -> dict:
	"""Warm every entry, one failure never stopping the rest; overlapping runs are refused."""
	client, lock_key, token = bridge.cache_redis(), bridge.cache_prefix() + WARM_LOCK, uuid.uuid4().hex
	if not client.set(lock_key, token, nx=True, ex=WARM_LOCK_TTL_S):
		return {"skipped": "another warm run holds the lock"}
	started = time.monotonic()
	warmed, failed = 0, []
	try:
		entries = warm_entries()
		for index, entry in enumerate(entries, 1):
			try:
				warmed += warm_entry(entry)
			except Exception as exc:
				failed.append(f"{entry['warm_type']} {entry['target']}: {exc}")
				logger.exception("warm failed for %s %s", entry["warm_type"], entry["target"])
			if on_progress:
				on_progress(index, len(entries))
	finally:
		if client.get(lock_key) == token.encode():
			client.delete(lock_key)
	duration = round(time.monotonic() - started, 3)
	settings.record(
		{
			"last_warm_at": now_datetime(),
			"last_warm_duration": duration,
			"last_warm_count": warmed,
			"last_warm_failures": len(failed),
		},
	)
	return {"warmed": warmed, "failed": failed, "duration_s": duration}
