"""Install and migrate hooks: seed what the app needs, never overwrite a user's edits."""

from perf_engine import cache
from perf_engine.perf_engine.doctype.performance_threshold import performance_threshold


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
