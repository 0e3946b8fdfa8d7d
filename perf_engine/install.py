"""Install and migrate hooks: seed what the app needs, never overwrite a user's edits."""

from perf_engine.perf_engine.doctype.performance_threshold import performance_threshold


def after_install() -> None:
	"""Seed defaults on a fresh install."""
	seed_defaults()


def after_migrate() -> None:
	"""Add defaults introduced by newer versions; existing records are left as users set them."""
	seed_defaults()


def seed_defaults() -> None:
	"""Each capability's seeding is idempotent; run them all."""
	performance_threshold.seed_defaults()
