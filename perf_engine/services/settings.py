"""The one owner of the settings DocType in the Frappe layer: read, validate, record.

Every other module reads the settings through `get()`, a frozen and validated
`perf_engine.core.settings.Settings`, and writes the read-only status fields through
`record()`; the DocType's name comes from `perf_engine.core.settings.DOCTYPE`.
"""

import logging

import frappe

from perf_engine.core.ratelimit import RateLimitedLog
from perf_engine.core.settings import DOCTYPE, FIELD_NAMES, Settings

__all__ = ["DOCTYPE", "get", "record", "stored", "warm_rows"]
out_of_range = RateLimitedLog(logging.getLogger(__name__))


def get() -> Settings:
	"""This site's settings; a missing value is its default, a stored 0 stays 0, and a value that
	breaks its rule (written around the form) runs as its default and is logged."""
	settings, problems = Settings.read(stored_values(frappe.get_cached_doc(DOCTYPE)))
	if problems:
		out_of_range.error(
			"%s holds values out of range, running on defaults for them: %s", DOCTYPE, "; ".join(problems)
		)
	return settings


def stored_values(doc) -> dict:
	"""Each setting as stored, an unsaved one as None (`as_dict` would turn an empty Int into 0)."""
	return {name: doc.get(name) for name in FIELD_NAMES}


def warm_rows() -> list[dict]:
	"""The warm list as plain dicts (warm_type, target, document_names, most_recent)."""
	return [row.as_dict() for row in frappe.get_cached_doc(DOCTYPE).warm_entries]


def record(values: dict) -> None:
	"""Write read-only status fields (last warm run, last threshold check) without a full save."""
	frappe.db.set_single_value(DOCTYPE, values)


def stored(fieldname: str):
	"""One stored status field, as last written by `record`."""
	return frappe.db.get_single_value(DOCTYPE, fieldname)
