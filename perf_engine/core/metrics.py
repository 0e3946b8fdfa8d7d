"""Render perf_engine's figures in Prometheus' text exposition format with prometheus_client.

Shared by `perf_engine.api.metrics` (inside a bench) and `perf-engine metrics` (from a
shell); both hand it the same figures dict.
"""

from prometheus_client import CollectorRegistry, Gauge, generate_latest

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
	if figures.get("health") is not None:
		health = Gauge(
			"perf_engine_health",
			"Subsystem health: 0 ok, 1 warning, 2 critical, -1 unknown",
			["subsystem"],
			registry=registry,
		)
		for name, part in figures["health"]["subsystems"].items():
			health.labels(name).set(HEALTH_VALUES[part["status"]])
	return generate_latest(registry)
