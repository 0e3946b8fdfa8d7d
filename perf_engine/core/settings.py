"""perf_engine's knobs: one frozen, validated record with every default and every allowed range.

The *Perf Engine Settings* DocType stores these fields under the same names; its JSON
defaults are checked against the ones here by a test, the Settings controller validates
a save with `Settings.from_values`, and the site and the CLI read what is stored through
`Settings.read`.
A value of 0 is kept wherever it means something (no DDL retry, no L1, no budget);
only a missing value falls back to the default.
"""

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import pymysql

from perf_engine.core.cache.store import DEFAULT_TTL_S
from perf_engine.core.errors import InvalidInput
from perf_engine.core.indexes.apply import LOCK_WAIT_RANGE_S, LOCK_WAIT_TIMEOUT_S, RETRIES, RETRIES_RANGE
from perf_engine.core.jobs.advice import AdviceLimits
from perf_engine.core.jobs.stalls import QUEUE_WAIT_LIMIT_S, STALL_AFTER_S, StallLimits
from perf_engine.core.jobs.workers import HEARTBEAT_GRACE_S, check_heartbeat_grace
from perf_engine.core.observatory.running import RUNNING_QUERY_S
from perf_engine.core.query.list_guard import MODES, REFUSE
from perf_engine.core.redis.cleanup import DEFAULT_PATTERNS

# The DocType that stores these settings on a site; its name is written here only.
DOCTYPE = "Perf Engine Settings"
SINGLES_SQL = "SELECT field, value FROM `tabSingles` WHERE doctype = %s"
ER_NO_SUCH_TABLE = 1146
MINUTE_S = 60
MB = 1024 * 1024
PERCENT = 100
DAY_MINUTES = 24 * 60
WEEK_MINUTES = 7 * DAY_MINUTES


@dataclass(frozen=True)
class Range:
	"""Inclusive bounds of one setting, with its label and unit for the message."""

	low: int
	high: int
	label: str
	unit: str = ""


RANGES = {
	"stall_check_minutes": Range(1, DAY_MINUTES, "Stalled-job check interval", "minutes"),
	"stall_after_minutes": Range(1, WEEK_MINUTES, "Stall limit", "minutes"),
	"queue_wait_limit_minutes": Range(1, WEEK_MINUTES, "Queue wait limit", "minutes"),
	"backlog_limit": Range(0, 10_000_000, "Backlog limit", "jobs"),
	"ddl_lock_wait_timeout": Range(*LOCK_WAIT_RANGE_S, "DDL lock wait timeout (seconds)"),
	"ddl_retries": Range(*RETRIES_RANGE, "DDL retries"),
	"cache_ttl": Range(1, 30 * 24 * 3600, "Cache TTL", "s"),
	"l1_cache_size": Range(0, 1_000_000, "In-process cache size", "entries"),
	"l1_cache_ttl": Range(0, 3600, "In-process cache TTL", "s"),
	"redis_pressure_threshold": Range(1, PERCENT, "Cleanup threshold", "%"),
	"redis_target_pressure": Range(1, PERCENT, "Cleanup target", "%"),
	"redis_memory_budget_mb": Range(0, 10_000_000, "Memory budget", "MB"),
	"snapshot_minutes": Range(1, DAY_MINUTES, "Snapshot interval", "minutes"),
	"history_retention_days": Range(1, 3650, "History retention", "days"),
	"readiness_load_test_days": Range(1, 365, "Load test counts for readiness", "days"),
	"running_query_seconds": Range(1, 3600, "Running query threshold", "s"),
}
# Settings that take one of a few words (a Select in the DocType), with their label.
CHOICES = {"list_guard_mode": (MODES, "List query guard")}


@dataclass(frozen=True)
class Settings:
	"""Every setting with its default; names match the DocType's fieldnames."""

	stall_check_minutes: int = 5
	stall_after_minutes: int = STALL_AFTER_S // MINUTE_S
	queue_wait_limit_minutes: int = QUEUE_WAIT_LIMIT_S // MINUTE_S
	heartbeat_grace_seconds: int = HEARTBEAT_GRACE_S
	backlog_limit: int = AdviceLimits.backlog_limit
	auto_remediate_stalls: bool = False
	weekly_index_analysis: bool = False
	ddl_lock_wait_timeout: int = LOCK_WAIT_TIMEOUT_S
	ddl_retries: int = RETRIES
	cache_ttl: int = DEFAULT_TTL_S
	l1_cache_size: int = 1000
	l1_cache_ttl: int = 5
	redis_pressure_threshold: float = 90
	redis_target_pressure: float = 80
	redis_memory_budget_mb: int = 0
	redis_cleanup_patterns: tuple[str, ...] = DEFAULT_PATTERNS
	snapshot_minutes: int = 5
	history_retention_days: int = 14
	list_guard_mode: str = REFUSE
	readiness_load_test_days: int = 30
	running_query_seconds: int = RUNNING_QUERY_S

	@classmethod
	def from_values(cls, values: Mapping[str, Any]) -> "Settings":
		"""Build from values being saved (None or absent means the default); raise on any out of range."""
		settings = cls.parse(values)
		if found := settings.problems():
			raise InvalidInput("; ".join(found))
		return settings

	@classmethod
	def parse(cls, values: Mapping[str, Any]) -> "Settings":
		"""Coerce stored values to their types without checking ranges (see `problems`)."""
		return cls(
			**{name: parse_value(name, values[name]) for name in FIELD_NAMES if values.get(name) is not None}
		)

	@classmethod
	def read(cls, values: Mapping[str, Any]) -> tuple["Settings", list[str]]:
		"""Stored values as the site runs on them: each that breaks its rule is replaced by its default
		and named, so one bad value (written around the form's validation) never stops the rest."""
		given, found = {}, []
		for name in FIELD_NAMES:
			if values.get(name) is None:
				continue
			try:
				value = parse_value(name, values[name])
			except InvalidInput as exc:
				found.append(str(exc))
				continue
			if problem := field_problem(name, value):
				found.append(problem)
			else:
				given[name] = value
		settings = cls(**given)
		if cross := settings.cross_problems():
			found += cross
			settings = replace(
				settings,
				redis_pressure_threshold=cls.redis_pressure_threshold,
				redis_target_pressure=cls.redis_target_pressure,
			)
		return settings, found

	def problems(self) -> list[str]:
		"""Every value out of its range, and a cleanup target above its threshold, as sentences."""
		found = [problem for name in FIELD_NAMES if (problem := field_problem(name, getattr(self, name)))]
		return found + self.cross_problems()

	def cross_problems(self) -> list[str]:
		if self.redis_target_pressure > self.redis_pressure_threshold:
			return [
				f"Cleanup target ({self.redis_target_pressure} %) must not be above the cleanup threshold ({self.redis_pressure_threshold} %)"
			]
		return []

	@property
	def stall_limits(self) -> StallLimits:
		return StallLimits(
			stall_after_s=self.stall_after_minutes * MINUTE_S,
			queue_wait_limit_s=self.queue_wait_limit_minutes * MINUTE_S,
			heartbeat_grace_s=self.heartbeat_grace_seconds,
		)

	@property
	def advice_limits(self) -> AdviceLimits:
		return AdviceLimits(
			backlog_limit=self.backlog_limit, queue_wait_limit_s=self.queue_wait_limit_minutes * MINUTE_S
		)

	@property
	def cleanup_options(self) -> dict:
		"""The keyword arguments `redis_cleanup.cleanup` takes for patterns, threshold, target and budget."""
		return {
			"patterns": list(self.redis_cleanup_patterns),
			"threshold": self.redis_pressure_threshold / PERCENT,
			"target": self.redis_target_pressure / PERCENT,
			"budget_bytes": self.budget_bytes,
		}

	@property
	def budget_bytes(self) -> int:
		return self.redis_memory_budget_mb * MB


FIELD_NAMES = tuple(f.name for f in fields(Settings))


def field_problem(name: str, value: Any) -> str | None:
	"""What is wrong with one setting's value on its own, as a sentence; None when it is fine."""
	if name == "heartbeat_grace_seconds":
		try:
			check_heartbeat_grace(value)  # its floor is the live-worker rule's own
		except InvalidInput as exc:
			return str(exc)
	if (limits := RANGES.get(name)) and not limits.low <= value <= limits.high:
		unit = f" {limits.unit}" if limits.unit else ""
		return f"{limits.label} must be from {limits.low} to {limits.high}{unit}, got {value}"
	return None


def parse_value(name: str, value: Any):
	if name in CHOICES:
		return choice(name, value)
	return parse_patterns(value) if name == "redis_cleanup_patterns" else coerce(name, value)


def choice(name: str, value: Any) -> str:
	"""One of the setting's words, exactly as the Select offers them."""
	allowed, label = CHOICES[name]
	if value not in allowed:
		raise InvalidInput(f"{label} must be one of {', '.join(allowed)}, got {value!r}")
	return value


def stored_settings(conn: pymysql.Connection) -> Settings:
	"""A site's saved settings read by SQL, for the CLI beside a bench; unsaved fields are defaults,
	and so is everything in a database that has no Frappe Singles table."""
	with conn.cursor() as cur:
		try:
			cur.execute(SINGLES_SQL, (DOCTYPE,))
		except pymysql.ProgrammingError as exc:
			if exc.args[0] != ER_NO_SUCH_TABLE:
				raise
			return Settings()
		return Settings.read(dict(cur.fetchall()))[0]


def parse_patterns(text: str | tuple) -> tuple[str, ...]:
	"""One pattern a line; blank lines are ignored and no pattern at all means the defaults."""
	lines = text.splitlines() if isinstance(text, str) else text
	return tuple(p.strip() for p in lines if p.strip()) or DEFAULT_PATTERNS


def coerce(name: str, value: Any) -> int | float | bool:
	"""Stored values arrive as numbers or numeric strings; anything else is a readable error."""
	kind = Settings.__dataclass_fields__[name].type
	try:
		number = float(value)
	except (TypeError, ValueError):
		raise InvalidInput(f"{label_of(name)} must be a number, got {value!r}") from None
	if kind is int and not number.is_integer():
		raise InvalidInput(f"{label_of(name)} must be a whole number, got {value!r}")
	return kind(number)


def label_of(name: str) -> str:
	"""How a message names a setting: its range's label, or its field name for one without a range."""
	return RANGES[name].label if name in RANGES else name.replace("_", " ").capitalize()
