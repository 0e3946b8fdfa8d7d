"""Install and migrate hooks: seed what the app needs, never overwrite a user's edits."""

from pathlib import Path

import frappe
from frappe.model.utils import render_include

from perf_engine.perf_engine.doctype.performance_threshold import performance_threshold
from perf_engine.services import cache

HEALTH_BLOCK = "Perf Engine Health"
HEALTH_BLOCK_FILES = Path(__file__).parent / "perf_engine" / "health_block"


def before_install() -> None:
	"""The workspace links the health block, so it must exist before the workspace is synced."""
	install_health_block()


def before_migrate() -> None:
	install_health_block()


def install_health_block() -> None:
	"""Create or refresh the Custom HTML Block that shows get_health at the top of the workspace."""
	values = {
		"html": (HEALTH_BLOCK_FILES / "health.html").read_text(),
		"script": render_include((HEALTH_BLOCK_FILES / "health.js").read_text()),
		"private": 0,
	}
	if frappe.db.exists("Custom HTML Block", HEALTH_BLOCK):
		frappe.db.set_value("Custom HTML Block", HEALTH_BLOCK, values)
	else:
		frappe.get_doc({"doctype": "Custom HTML Block", "__newname": HEALTH_BLOCK, **values}).insert(
			ignore_permissions=True
		)


def before_uninstall() -> None:
	"""The health block is not part of the module, so uninstall removes it by hand."""
	frappe.delete_doc("Custom HTML Block", HEALTH_BLOCK, ignore_missing=True, force=True)


def after_install() -> None:
	"""Seed defaults on a fresh install."""
	seed_defaults()


def after_migrate() -> None:
	"""Add defaults introduced by newer versions; forget cached values the migrate may have outdated."""
	seed_defaults()
	cache.drop_cached_values()


def seed_defaults() -> None:
	"""Each capability's seeding is idempotent; run them all."""
	performance_threshold.seed_defaults()
