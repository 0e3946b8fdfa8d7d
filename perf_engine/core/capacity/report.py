"""Everything the Capacity Model shows, gathered with each part isolated from the others.

Parts: the reference model and the recommendation built on it (always, at the calibrated
per-worker rates when a load test calibrated them, beside what the assumed rates predict), the measured
model from monitor data, the volume tiers of the site's largest tables, and the
comparison of the recommendation with what the bench runs. A part that fails (Redis
down, the site's database refusing us, no site given) is reported with its error and
the service to blame; the rest stands.
"""

from datetime import timedelta

import pymysql
import redis

from perf_engine.core.capacity import bench_comparison, volume_tiers
from perf_engine.core.capacity import measured as measured_capacity
from perf_engine.core.capacity.model import (
	ASSUMED_RATES,
	CapacityInputs,
	WorkerRates,
	predicted_against_measured,
	reference_model,
)
from perf_engine.core.capacity.recommendation import recommend
from perf_engine.core.checks import run_check
from perf_engine.core.config import ConnectionSettings
from perf_engine.core.errors import InvalidInput
from perf_engine.core.latency import monitor

MEASURE_WINDOW = timedelta(hours=1)


def needed(connection, what: str):
	"""The connection a part needs; the error that kept it from being opened; or why there is none."""
	if isinstance(connection, Exception):
		raise connection
	if connection is None:
		raise InvalidInput(f"needs {what}: name a site with --bench and --site")
	return connection


def capacity_report(
	inputs: CapacityInputs,
	settings: ConnectionSettings,
	*,
	db: pymysql.Connection | Exception | None = None,
	cache: redis.Redis | None = None,
	queue: redis.Redis | None = None,
	bench_config: dict | None = None,
	rates: WorkerRates = ASSUMED_RATES,
) -> dict:
	"""Reference model, recommendation, and whichever measured parts the given connections allow.

	`db` may be the error that kept the site's database from being opened: the parts that
	need it report that error instead of a vaguer one. `rates` are what one web worker serves,
	calibrated by a load test or assumed."""
	model = reference_model(inputs, rates)
	recommendation = recommend(inputs, model)
	parts = {
		"reference": model,
		"recommendation": recommendation,
		"calibration": predicted_against_measured(inputs, rates),
	}

	def measured() -> dict:
		log = monitor.log_path(settings.bench_path) if settings.bench_path else None
		found = monitor.read_window(cache, settings.cache_prefix, log, settings.site, MEASURE_WINDOW)
		return {**measured_capacity.measured_model(found), "window_s": MEASURE_WINDOW.total_seconds()}

	def tiers() -> dict:
		if not settings.db_name:
			raise InvalidInput("needs the site's database: name a site with --bench and --site")
		return {"tables": volume_tiers.largest_tables(needed(db, "the site's database"), settings.db_name)}

	def comparison() -> dict:
		connection = needed(db, "the site's database")
		live = bench_comparison.live_workers_per_queue(needed(queue, "the queue Redis"), settings.queue_names)
		rows = bench_comparison.compare(
			recommendation, bench_config or {}, live, bench_comparison.max_connections(connection)
		)
		return {"rows": rows}

	for name, check in (("measured", measured), ("volume_tiers", tiers), ("comparison", comparison)):
		result = run_check(name, check)
		parts[name] = result.data if result.ok else {"error": result.error, "service": result.service}
	return parts
