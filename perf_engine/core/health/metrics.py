"""Render perf_engine's figures in Prometheus' text exposition format with prometheus_client.

Shared by `perf_engine.api.metrics` (inside a bench) and `perf-engine metrics` (from a
shell); both hand it the same figures dict.
"""

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.core import GaugeHistogramMetricFamily

from perf_engine.core.latency.histogram import Histogram
from perf_engine.core.latency.sla import PERCENTILES, PERIODS

HEALTH_VALUES = {"ok": 0, "warning": 1, "critical": 2, "unknown": -1}
QUEUE_STATES = ("queued", "started", "failed", "deferred", "scheduled", "finished")


def render(figures: dict) -> bytes:
	"""Every figure that is present becomes a gauge; absent parts (a failed check) are left out."""
	registry = CollectorRegistry()
	if figures.get("queues") is not None:
		jobs = Gauge(
			"perf_engine_queue_jobs", "Jobs per RQ queue and state", ["queue", "state"], registry=registry
		)
		oldest = Gauge(
			"perf_engine_queue_oldest_age_seconds",
			"Age of the oldest queued job",
			["queue"],
			registry=registry,
		)
		workers = Gauge(
			"perf_engine_workers", "Live RQ workers per queue", ["queue", "state"], registry=registry
		)
		for row in figures["queues"]:
			for state in QUEUE_STATES:
				jobs.labels(row["queue"], state).set(row[state])
			oldest.labels(row["queue"]).set(row["oldest_queued_age_s"] or 0)
			workers.labels(row["queue"], "busy").set(row["workers"]["busy"])
			workers.labels(row["queue"], "idle").set(row["workers"]["idle"])
	if figures.get("redis") is not None:
		redis = figures["redis"]
		Gauge("perf_engine_redis_used_bytes", "Memory used by the cache Redis", registry=registry).set(
			redis["used_memory"]
		)
		Gauge("perf_engine_redis_limit_bytes", "maxmemory, or the configured budget", registry=registry).set(
			redis["limit_bytes"] or 0
		)
		if redis["pressure"] is not None:
			Gauge("perf_engine_redis_pressure_ratio", "Used memory over the limit", registry=registry).set(
				redis["pressure"]
			)
		Gauge("perf_engine_redis_evicted_keys", "Keys evicted since Redis started", registry=registry).set(
			redis["evicted_keys"]
		)
	counts = figures.get("counts")
	if counts is not None:
		Gauge("perf_engine_stalled_jobs_open", "Open stalled-job findings", registry=registry).set(
			counts["open_stalls"]
		)
		violations = Gauge(
			"perf_engine_threshold_violations_24h",
			"Threshold violations in the last 24 hours",
			["severity"],
			registry=registry,
		)
		for severity in ("WARNING", "CRITICAL"):
			violations.labels(severity).set(counts["violations_24h"].get(severity, 0))
		findings = Gauge(
			"perf_engine_index_findings_open", "Open index recommendations", ["priority"], registry=registry
		)
		for priority in ("HIGH", "MEDIUM", "LOW"):
			findings.labels(priority).set(counts["open_index_findings"].get(priority, 0))
	if figures.get("scheduler") is not None:
		scheduler(figures["scheduler"], registry)
	if figures.get("mariadb") is not None:
		mariadb(figures["mariadb"], registry)
	if figures.get("database") is not None:
		database(figures["database"], registry)
	if figures.get("health") is not None:
		health = Gauge(
			"perf_engine_health",
			"Subsystem health: 0 ok, 1 warning, 2 critical, -1 unknown",
			["subsystem"],
			registry=registry,
		)
		for name, part in figures["health"]["subsystems"].items():
			health.labels(name).set(HEALTH_VALUES[part["status"]])
	if figures.get("sla") is not None:
		sla_metrics(figures["sla"], registry)
	return generate_latest(registry)


def scheduler(facts: dict, registry: CollectorRegistry) -> None:
	"""Whether the site's scheduler may run, how late its oldest due job is, how many jobs failed."""
	Gauge("perf_engine_scheduler_enabled", "1 when the site's scheduler may run", registry=registry).set(
		0 if facts["disabled_by"] else 1
	)
	due = facts["oldest_due"]
	Gauge(
		"perf_engine_scheduler_oldest_due_lag_seconds",
		"How long the most overdue scheduled job has waited past its next run",
		registry=registry,
	).set(due["lag_s"] if due else 0)
	Gauge(
		"perf_engine_scheduler_failing_jobs",
		"Scheduled job types with a failed run in 24 h",
		registry=registry,
	).set(len(facts["failing_jobs"]))


def mariadb(facts: dict, registry: CollectorRegistry) -> None:
	"""The buffer pool against the InnoDB data, its hit ratio, connections and slow queries."""
	Gauge("perf_engine_mariadb_buffer_pool_bytes", "innodb_buffer_pool_size", registry=registry).set(
		facts["buffer_pool_bytes"]
	)
	Gauge(
		"perf_engine_mariadb_innodb_data_bytes", "Data and index size of InnoDB tables", registry=registry
	).set(facts["innodb_data_bytes"])
	if facts["buffer_pool_hit_ratio"] is not None:
		Gauge(
			"perf_engine_mariadb_buffer_pool_hit_ratio", "InnoDB reads served from memory", registry=registry
		).set(facts["buffer_pool_hit_ratio"])
	connections = Gauge(
		"perf_engine_mariadb_connections",
		"Connections now, at peak and allowed",
		["state"],
		registry=registry,
	)
	connections.labels("used").set(facts["connections_used"])
	connections.labels("max_used").set(facts["max_used_connections"])
	connections.labels("max").set(facts["max_connections"])
	Gauge(
		"perf_engine_mariadb_slow_queries_per_minute",
		"Slow queries a minute since the server started",
		registry=registry,
	).set(facts["slow_queries_per_minute"])


def database(facts: dict, registry: CollectorRegistry) -> None:
	"""The site's database now: statements over the threshold, lock waits, recent deadlocks (no per-query series)."""
	Gauge(
		"perf_engine_db_long_queries",
		"The site's statements running at least the running-query threshold",
		registry=registry,
	).set(facts["long_queries"])
	Gauge(
		"perf_engine_db_longest_query_seconds", "The site's longest running statement", registry=registry
	).set(facts["longest_query_s"])
	Gauge("perf_engine_db_lock_waits", "The site's threads waiting for a lock", registry=registry).set(
		facts["lock_waits"]
	)
	Gauge("perf_engine_db_longest_lock_wait_seconds", "The site's longest lock wait", registry=registry).set(
		facts["longest_lock_wait_s"]
	)
	Gauge(
		"perf_engine_db_idle_in_transaction",
		"The site's sessions idle inside an open transaction",
		registry=registry,
	).set(facts["idle_in_transaction"])
	if facts["deadlocks_last_hour"] is not None:
		Gauge(
			"perf_engine_db_deadlocks_last_hour", "The site's deadlocks in the last hour", registry=registry
		).set(facts["deadlocks_last_hour"])


class WindowHistograms:
	"""The monitor window's durations per kind of work as a gauge histogram: a window's counts go
	down as entries leave it, so they are not counters."""

	def __init__(self, stored: dict[str, dict]):
		self.stored = stored

	def collect(self):
		family = GaugeHistogramMetricFamily(
			"perf_engine_work_duration_seconds",
			"Durations of the monitor window's work per kind (gauge histogram)",
			labels=["kind"],
		)
		for kind, stored in self.stored.items():
			histogram = Histogram.from_json(stored)
			family.add_metric([kind], histogram.cumulative(), gsum_value=histogram.sum_s)
		yield family


def sla_metrics(report: dict, registry: CollectorRegistry) -> None:
	"""Percentiles and counts per period and kind of work, and the window's histogram per kind."""
	seconds = Gauge(
		"perf_engine_sla_seconds",
		"Duration percentile per period (window, day, week) and kind of work",
		["period", "kind", "quantile"],
		registry=registry,
	)
	count = Gauge(
		"perf_engine_sla_count",
		"Transactions per period and kind of work",
		["period", "kind"],
		registry=registry,
	)
	for period in PERIODS:
		for kind, row in report[period]["kinds"].items():
			count.labels(period, kind).set(row["count"])
			for pct in PERCENTILES:
				seconds.labels(period, kind, f"{pct / 100:g}").set(row[f"p{pct}_s"])
	registry.register(WindowHistograms(report["window_histograms"]))
