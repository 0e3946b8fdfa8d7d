"""perf_engine's settings: one set of defaults, 0 kept where it means something, ranges refused readably."""

import dataclasses
import json

import pytest

from perf_engine.core.errors import InvalidInput
from perf_engine.core.redis.cleanup import DEFAULT_PATTERNS
from perf_engine.core.settings import CHOICES, RANGES, Settings, stored_settings
from tests.services import REPO_ROOT

DOCTYPE_JSON = REPO_ROOT / "perf_engine/perf_engine/doctype/perf_engine_settings/perf_engine_settings.json"


def doctype_fields() -> dict[str, dict]:
	return {f["fieldname"]: f for f in json.loads(DOCTYPE_JSON.read_text())["fields"]}


def test_doctype_defaults_are_the_settings_defaults():
	"""What Desk shows on a fresh site is exactly what a missing value reads as."""
	stored = doctype_fields()
	for field in dataclasses.fields(Settings):
		default = Settings().__getattribute__(field.name)
		assert field.name in stored, field.name
		if field.name == "redis_cleanup_patterns":
			assert tuple(stored[field.name]["default"].splitlines()) == DEFAULT_PATTERNS
		elif field.name in CHOICES:
			assert stored[field.name]["default"] == default, field.name
			assert tuple(stored[field.name]["options"].splitlines()) == CHOICES[field.name][0], field.name
		else:
			assert float(stored[field.name]["default"]) == float(default), field.name


def test_every_range_names_a_stored_field():
	"""A range guards a field the DocType really has, so no rule checks nothing."""
	assert set(RANGES) <= set(doctype_fields())


def test_missing_values_read_as_defaults_and_zero_stays_zero():
	"""None is the default; 0 retries, no L1 and no budget are kept, not replaced by a default."""
	settings = Settings.from_values(
		{
			"ddl_retries": 0,
			"l1_cache_size": 0,
			"redis_memory_budget_mb": 0,
			"cache_ttl": None,
			"backlog_limit": 0,
		}
	)
	assert (settings.ddl_retries, settings.l1_cache_size, settings.budget_bytes, settings.backlog_limit) == (
		0,
		0,
		0,
		0,
	)
	assert settings.cache_ttl == Settings().cache_ttl == 3600


def test_out_of_range_values_are_named_with_their_limits():
	"""Each value out of range is one sentence naming the setting, its range and the value given."""
	with pytest.raises(InvalidInput) as caught:
		Settings.from_values({"stall_check_minutes": 0, "ddl_retries": 99})
	message = str(caught.value)
	assert "Stalled-job check interval must be from 1 to 1440 minutes, got 0" in message
	assert "DDL retries must be from 0 to 10, got 99" in message


def test_cleanup_target_above_threshold_is_refused():
	"""A target above the threshold could never be reached, so it is refused when saved."""
	problems = Settings.parse({"redis_pressure_threshold": 70, "redis_target_pressure": 80}).problems()
	assert problems == ["Cleanup target (80.0 %) must not be above the cleanup threshold (70.0 %)"]


def test_non_numbers_and_fractions_are_refused():
	"""Text where a number belongs, or a fraction of a minute, is an error, never silently 0."""
	with pytest.raises(InvalidInput, match="Stall limit must be a number, got 'soon'"):
		Settings.from_values({"stall_after_minutes": "soon"})
	with pytest.raises(InvalidInput, match="whole number"):
		Settings.from_values({"snapshot_minutes": 2.5})


def test_settings_are_frozen_and_derive_the_core_limits():
	"""The object cannot be changed after validation, and the limits it hands the core are in seconds."""
	settings = Settings.from_values(
		{"stall_after_minutes": 45, "queue_wait_limit_minutes": 3, "redis_cleanup_patterns": "a:*\n\n b:*\n"}
	)
	with pytest.raises(dataclasses.FrozenInstanceError):
		settings.ddl_retries = 5
	assert settings.stall_limits.stall_after_s == 2700
	assert settings.advice_limits.queue_wait_limit_s == 180
	assert settings.cleanup_options["patterns"] == ["a:*", "b:*"]
	assert settings.cleanup_options["threshold"] == 0.9


def test_reading_runs_a_bad_stored_value_as_its_default_and_names_it():
	"""A value written around the form (0 s grace, text) runs as its default; the others are kept."""
	settings, problems = Settings.read(
		{"heartbeat_grace_seconds": 0, "ddl_retries": 0, "stall_after_minutes": "soon", "backlog_limit": 7}
	)
	assert (settings.heartbeat_grace_seconds, settings.stall_after_minutes) == (90, 30)
	assert (settings.ddl_retries, settings.backlog_limit) == (0, 7)
	assert len(problems) == 2 and "at least 45 s" in problems[1]


def test_a_fraction_in_a_setting_without_a_range_is_named_not_a_crash():
	"""A stored 90.5 s heartbeat grace (no range entry of its own) runs as the default and is named."""
	settings, problems = Settings.read({"heartbeat_grace_seconds": "90.5"})
	assert settings.heartbeat_grace_seconds == 90
	assert problems == ["Heartbeat grace seconds must be a whole number, got '90.5'"]


def test_reading_a_target_above_its_threshold_falls_back_to_both_defaults():
	"""A cleanup target above its threshold could never be met, so both run as their defaults."""
	settings, problems = Settings.read({"redis_pressure_threshold": 70, "redis_target_pressure": 85})
	assert (settings.redis_pressure_threshold, settings.redis_target_pressure) == (90, 80)
	assert problems == ["Cleanup target (85.0 %) must not be above the cleanup threshold (70.0 %)"]


def test_a_database_without_frappe_tables_reads_as_defaults(db):
	"""The CLI pointed at a plain database runs on the defaults instead of failing."""
	assert stored_settings(db) == Settings()


def test_a_choice_outside_its_words_is_refused_and_read_as_its_default():
	"""The list guard mode takes Refuse, Warn or Off only; a stored typo runs as Refuse and is named."""
	assert Settings.from_values({"list_guard_mode": "Warn"}).list_guard_mode == "Warn"
	with pytest.raises(InvalidInput, match="List query guard must be one of Refuse, Warn, Off, got 'warn'"):
		Settings.from_values({"list_guard_mode": "warn"})
	settings, problems = Settings.read({"list_guard_mode": "Sometimes"})
	assert settings.list_guard_mode == "Refuse" and len(problems) == 1
