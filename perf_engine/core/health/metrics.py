"""Render perf_engine's figures in Prometheus' text exposition format with prometheus_client.

Shared by `perf_engine.api.metrics` (inside a bench) and `perf-engine metrics` (from a
shell); both hand it the same figures dict and the scrape's identity. With an identity every
series carries `bench` and `site` and a `scope`: "bench" for the facts every site of a bench
sees alike (queues, workers, the cache Redis, the MariaDB server: de-duplicate them with
`max by (bench, ...)`), "site" for the rest. docs/monitoring.md says how to query them.
"""

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.core import GaugeHistogramMetricFamily
from prometheus_client.metrics_core import Metric

from perf_engine import __version__
from perf_engine.core.health.identity import Identity
from perf_engine.core.jobstats.report import PERCENTILES as JOB_PERCENTILES
from perf_engine.core.latency.histogram import Histogram
from perf_engine.core.latency.sla import PERCENTILES, PERIODS
from perf_engine.core.latency.thresholds import sla_limits_s

HEALTH_VALUES = {"ok": 0, "warning": 1, "critical": 2, "unknown": -1}
# A queue's advice as a health value: too few workers warns, no worker at all is critical.
ADVICE_VALUES = {"ok": 0, "info": 0, "warning": 1, "critical": 2}
QUEUE_STATES = ("queued", "started", "failed", "deferred", "scheduled", "finished")
# perf_engine_mariadb_events_since_start's labels and the figure each carries.
SINCE_START = {
	"tmp_tables": "tmp_tables",
	"tmp_disk_tables": "tmp_disk_tables",
	"joins_without_indexes": "joins_without_indexes",
	"connections": "connections",
	"aborted_connects": "aborted_connects",
}
BENCH, SITE = "bench", "site"
# Families every site of a bench reports alike: the bench's queues and workers, its cache Redis and
# its MariaDB server. A new family of such facts belongs here; every other family is the site's own.
BENCH_WIDE = frozenset(
	{
		"perf_engine_queue_jobs",
		"perf_engine_queue_oldest_age_seconds",
		"perf_engine_queue_health",
		"perf_engine_workers",
		"perf_engine_redis_used_bytes",
		"perf_engine_redis_limit_bytes",
		"perf_engine_redis_pressure_ratio",
		"perf_engine_redis_evicted_keys",
		"perf_engine_mariadb_buffer_pool_bytes",
		"perf_engine_mariadb_innodb_data_bytes",
		"perf_engine_mariadb_buffer_pool_hit_ratio",
		"perf_engine_mariadb_connections",
		"perf_engine_mariadb_slow_queries_per_minute",
		"perf_engine_mariadb_redo_log_bytes",
		"perf_engine_mariadb_table_cache",
		"perf_engine_mariadb_events_since_start",
		"perf_engine_job_queue_utilization_ratio",
		"perf_engine_self_redis_connections",
		"perf_engine_self_bench_passes_per_day",
	}
)


class Labelled:
	"""A registry's families with the scrape's bench, site and each family's scope on every sample."""

	def __init__(self, registry: CollectorRegistry, identity: Identity):
		self.registry, self.identity = registry, identity

	def collect(self) -> Iterator[Metric]:
		for family in self.registry.collect():
			extra = {**self.identity.labels(), "scope": BENCH if family.name in BENCH_WIDE else SITE}
			family.samples = [s._replace(labels={**s.labels, **extra}) for s in family.samples]
			yield family


def render(figures: dict, identity: Identity | None = None) -> bytes:
	"""Every figure that is present becomes a gauge; absent parts (a failed check) are left out.
	Without an identity (a test of one figure) the series carry only their own labels."""
	registry = CollectorRegistry()
	if identity is not None:
		Gauge(
			"perf_engine_info",
			"1 for every scrape that answered, with perf_engine's version",
			["version"],
			registry=registry,
		).labels(__version__).set(1)
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
		verdict = Gauge(
			"perf_engine_queue_health",
			"Queue verdict: 0 keeping up, 1 needs more workers, 2 jobs queued and no worker listening",
			["queue"],
			registry=registry,
		)
		for row in figures["queues"]:
			for state in QUEUE_STATES:
				jobs.labels(row["queue"], state).set(row[state])
			oldest.labels(row["queue"]).set(row["oldest_queued_age_s"] or 0)
			verdict.labels(row["queue"]).set(ADVICE_VALUES[row["severity"]])
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
		checks = Gauge(
			"perf_engine_health_check",
			"One measured check of a subsystem (scheduler, MariaDB, job load): 0 ok, 1 warning, 2 critical, -1 unknown",
			["subsystem", "check"],
			registry=registry,
		)
		for name, part in figures["health"]["subsystems"].items():
			health.labels(name).set(HEALTH_VALUES[part["status"]])
			for check in part.get("checks", ()):
				checks.labels(name, check["check"]).set(HEALTH_VALUES[check["status"]])
	if figures.get("sla") is not None:
		sla_metrics(figures["sla"], registry)
	if figures.get("thresholds") is not None:
		sla_thresholds(figures["thresholds"], registry)
	if figures.get("job_stats") is not None:
		job_metrics(figures["job_stats"], registry)
	if figures.get("footprint") is not None:
		footprint(figures["footprint"], registry)
	return generate_latest(registry if identity is None else Labelled(registry, identity))


def footprint(facts: dict, registry: CollectorRegistry) -> None:
	"""perf_engine's own cost: its jobs and worker time over the last day (from its ledger), the rows they
	wrote, its keys and bytes by Redis and family, its own connections and the bench-wide passes."""
	runs = Gauge(
		"perf_engine_self_jobs_per_day",
		"Runs of perf_engine's jobs in the last 24 h",
		["job"],
		registry=registry,
	)
	seconds = Gauge(
		"perf_engine_self_worker_seconds_per_day",
		"Worker seconds perf_engine's jobs took in the last 24 h",
		["job"],
		registry=registry,
	)
	for job in facts["jobs"]:
		runs.labels(job["job"]).set(job["runs"])
		seconds.labels(job["job"]).set(job["seconds"])
	Gauge(
		"perf_engine_self_log_rows_per_day",
		"Scheduled Job Log rows of perf_engine's jobs written in the last 24 h",
		registry=registry,
	).set(facts["log_rows_per_day"])
	history = Gauge(
		"perf_engine_self_history_rows_per_day",
		"Rows of perf_engine's history DocTypes written in the last 24 h",
		["doctype"],
		registry=registry,
	)
	for doctype, written in facts["history_rows"].items():
		history.labels(doctype).set(written)
	keys = Gauge(
		"perf_engine_self_redis_keys",
		"perf_engine's keys by Redis and family",
		["redis", "family"],
		registry=registry,
	)
	size = Gauge(
		"perf_engine_self_redis_bytes",
		"perf_engine's bytes by Redis and family",
		["redis", "family"],
		registry=registry,
	)
	for redis, part in (("cache", facts["cache_redis"]), ("queue", facts["queue_redis"])):
		for family, found in part["families"].items():
			keys.labels(redis, family).set(found["keys"])
			size.labels(redis, family).set(found["bytes"])
	Gauge(
		"perf_engine_self_redis_connections",
		"Connections perf_engine's processes keep of their own to the cache Redis",
		registry=registry,
	).set(facts["own_connections"])
	Gauge(
		"perf_engine_self_bench_passes_per_day",
		"Bench-wide passes (due RQ jobs moved for every site) in the last 24 h",
		registry=registry,
	).set(facts["bench_passes_per_day"])


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
	"""The buffer pool, redo log and caches against what they serve, connections and the counters since
	start that MySQLTuner judges (slow queries, temporary tables, joins without indexes, aborted connects)."""
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
	Gauge("perf_engine_mariadb_redo_log_bytes", "InnoDB redo log size", registry=registry).set(
		facts["redo_log_bytes"]
	)
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
	Gauge(
		"perf_engine_mariadb_tables", "Tables of the databases the connection can read", registry=registry
	).set(facts["tables"])
	caches = Gauge(
		"perf_engine_mariadb_table_cache",
		"Table and table definition caches: their size and the entries in use",
		["cache", "state"],
		registry=registry,
	)
	caches.labels("open", "size").set(facts["table_open_cache"])
	caches.labels("open", "in_use").set(facts["open_tables"])
	caches.labels("definition", "size").set(facts["table_definition_cache"])
	caches.labels("definition", "in_use").set(facts["open_table_definitions"])
	since_start = Gauge(
		"perf_engine_mariadb_events_since_start",
		"Counters since the server started: temporary tables (all, on disk), joins without indexes, "
		"connection attempts (all, aborted)",
		["event"],
		registry=registry,
	)
	for event, figure in SINCE_START.items():
		since_start.labels(event).set(facts[figure])


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
	endpoint_seconds = Gauge(
		"perf_engine_sla_endpoint_seconds",
		"Duration percentile per period of each top endpoint (the most total time) and its kind of work",
		["period", "kind", "endpoint", "quantile"],
		registry=registry,
	)
	endpoint_count = Gauge(
		"perf_engine_sla_endpoint_count",
		"Transactions per period of each top endpoint",
		["period", "kind", "endpoint"],
		registry=registry,
	)
	for period in PERIODS:
		for kind, row in report[period]["kinds"].items():
			count.labels(period, kind).set(row["count"])
			for pct in PERCENTILES:
				seconds.labels(period, kind, quantile(pct)).set(row[f"p{pct}_s"])
		for row in report[period]["endpoints"]:
			endpoint_count.labels(period, row["kind"], row["endpoint"]).set(row["count"])
			for pct in PERCENTILES:
				endpoint_seconds.labels(period, row["kind"], row["endpoint"], quantile(pct)).set(
					row[f"p{pct}_s"]
				)
	registry.register(WindowHistograms(report["window_histograms"]))


def quantile(pct: int) -> str:
	"""A percentile as Prometheus writes a quantile label: 95 -> "0.95"."""
	return f"{pct / 100:g}"


def sla_thresholds(stored: dict, registry: CollectorRegistry) -> None:
	"""Each SLA kind's Performance Threshold in seconds, with the quantile it holds: alerts and
	dashboards compare perf_engine_sla_seconds with it."""
	limit = Gauge(
		"perf_engine_sla_threshold_seconds",
		"The Performance Threshold an SLA kind's percentile is held to (enabled thresholds only)",
		["kind", "quantile", "operation_type"],
		registry=registry,
	)
	for (kind, pct), (name, seconds) in sla_limits_s(stored).items():
		limit.labels(kind, quantile(pct), name).set(seconds)


def job_metrics(report: dict, registry: CollectorRegistry) -> None:
	"""Job statistics of the window (the last hour): per queue utilization and queue wait; per method
	(only the top few and "other", as the report was asked for) runs, failures, run time and wait."""
	utilization = Gauge(
		"perf_engine_job_queue_utilization_ratio",
		"Share of its workers' time busy per queue: over the window, and now",
		["queue", "period"],
		registry=registry,
	)
	queue_wait = Gauge(
		"perf_engine_job_queue_wait_seconds",
		"Queue wait (enqueued to started) percentile of the window's jobs per queue",
		["queue", "quantile"],
		registry=registry,
	)
	for row in report["queues"]:
		for period, value in (("window", row["utilization"]), ("now", row["utilization_now"])):
			if value is not None:
				utilization.labels(row["queue"], period).set(value)
		for pct in JOB_PERCENTILES:
			if row[f"wait_p{pct}_s"] is not None:
				queue_wait.labels(row["queue"], f"{pct / 100:g}").set(row[f"wait_p{pct}_s"])
	runs = Gauge(
		"perf_engine_job_runs", "Jobs that ended in the window per method", ["method"], registry=registry
	)
	failures = Gauge(
		"perf_engine_job_failures", "Jobs that failed in the window per method", ["method"], registry=registry
	)
	seconds = {
		kind: Gauge(
			f"perf_engine_job_{kind}_seconds",
			f"{label} percentile of the window's jobs per method",
			["method", "quantile"],
			registry=registry,
		)
		for kind, label in (
			("run", "Run time (started to ended)"),
			("wait", "Queue wait (enqueued to started)"),
		)
	}
	for row in report["methods"]:
		runs.labels(row["method"]).set(row["runs"])
		failures.labels(row["method"]).set(row["failures"])
		for kind, gauge in seconds.items():
			for pct in JOB_PERCENTILES:
				if row[f"{kind}_p{pct}_s"] is not None:
					gauge.labels(row["method"], f"{pct / 100:g}").set(row[f"{kind}_p{pct}_s"])
