"""When perf_engine itself costs too much, judged from `core.footprint.report` figures, one check each.

Limits: its jobs a day against Frappe's own continuous jobs (45 an hour a site: warning) and the four
minute jobs it once ran (240 an hour: critical); worker time against 1 % and 5 % of one worker's
day; log rows a day (an hourly job with a log row makes 24); history rows a day; its keys' bytes
against the cache Redis' `maxmemory` (or a fixed size when it has none); its own connections against
`maxclients`.
"""

from perf_engine.core.health.verdicts import CRITICAL, GIB, MIB, OK, WARNING, check, from_checks, size
from perf_engine.core.settings import Settings

DAY_S = 24 * 3600
JOBS_PER_DAY = (45 * 24, 240 * 24)
WORKER_SECONDS_PER_DAY = (0.01 * DAY_S, 0.05 * DAY_S)
LOG_ROWS_PER_DAY = (100, 1000)
HISTORY_ROWS_PER_DAY = (10_000, 100_000)
MEMORY_SHARE = (0.25, 0.5)
BYTES_WITHOUT_MAXMEMORY = (512 * MIB, 2 * GIB)
QUEUE_BYTES = (64 * MIB, 256 * MIB)
CONNECTION_SHARE = (0.1, 0.25)
ACTION = {
	"jobs_per_day": "See the jobs' list in perf-engine footprint; a bench's scheduler_interval below 240 s runs the tick more often.",
	"worker_seconds_per_day": "See which job costs most in perf-engine footprint and its error log.",
	"log_rows_per_day": "Check perf_engine's Scheduled Job Types: only the tick should run every few minutes.",
	"history_rows_per_day": "Check Perf Snapshot's interval (snapshot_minutes) and the retention settings.",
	"cache_redis_bytes": "Lower cache_ttl or run the Redis cleanup; see the families in perf-engine footprint.",
	"queue_redis_bytes": "See the families in perf-engine footprint.",
	"own_connections": "Each web and worker process keeps one; count the bench's processes.",
}


def status_of(value: float, limits: tuple[float, float]) -> str:
	warning, critical = limits
	return CRITICAL if value >= critical else WARNING if value >= warning else OK


def measured(name: str, value: float, limits: tuple[float, float], unit: str, shown: str) -> dict:
	"""One check: `shown` is the value in words; warning and critical from the two limits."""
	status = status_of(value, limits)
	warning, critical = (size(limit) if unit == "bytes" else f"{limit:g} {unit}" for limit in limits)
	threshold = f"warning from {warning}, critical from {critical}"
	return check(
		name,
		status,
		value,
		threshold,
		f"{name.replace('_', ' ')}: {shown}",
		ACTION[name] if status != OK else "",
		unit=unit,
		limit=limits[0],
	)


def memory_limits(redis_figures: dict) -> tuple[float, float]:
	maxmemory = redis_figures["maxmemory"]
	return tuple(share * maxmemory for share in MEMORY_SHARE) if maxmemory else BYTES_WITHOUT_MAXMEMORY


def footprint(facts: dict, settings: Settings) -> dict:
	"""perf_engine's own cost against its limits: jobs, worker time, rows, Redis bytes and connections."""
	cache, queue = facts["cache_redis"], facts["queue_redis"]
	maxclients = cache["maxclients"] or 10_000
	connection_limits = tuple(share * maxclients for share in CONNECTION_SHARE)
	seconds = facts["worker_seconds_per_day"]
	return from_checks(
		[
			measured("jobs_per_day", facts["jobs_per_day"], JOBS_PER_DAY, "jobs", f"{facts['jobs_per_day']}"),
			measured("worker_seconds_per_day", seconds, WORKER_SECONDS_PER_DAY, "s", f"{seconds:.1f} s"),
			measured(
				"log_rows_per_day",
				facts["log_rows_per_day"],
				LOG_ROWS_PER_DAY,
				"rows",
				f"{facts['log_rows_per_day']}",
			),
			measured(
				"history_rows_per_day",
				facts["history_rows_per_day"],
				HISTORY_ROWS_PER_DAY,
				"rows",
				f"{facts['history_rows_per_day']}",
			),
			measured("cache_redis_bytes", cache["bytes"], memory_limits(cache), "bytes", keys_shown(cache)),
			measured("queue_redis_bytes", queue["bytes"], QUEUE_BYTES, "bytes", keys_shown(queue)),
			measured(
				"own_connections",
				facts["own_connections"],
				connection_limits,
				"connections",
				f"{facts['own_connections']} of {maxclients}",
			),
		]
	)


def keys_shown(redis_figures: dict) -> str:
	"""'1,204 keys, 3.5 MiB' (with 'at least' when the bounded scan did not reach the end)."""
	shown = f"{redis_figures['keys']:,} keys, {size(redis_figures['bytes'])}"
	return shown if redis_figures["complete"] else f"at least {shown}"
