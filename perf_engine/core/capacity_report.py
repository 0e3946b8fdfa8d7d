"""Everything the Capacity Model shows, gathered with each part isolated from the others.

Parts: the reference model (always), the measured model from monitor data, the volume
tiers of the site's largest tables, and the comparison with what the bench runs. A part
that fails (Redis down, no database given) is reported with its error; the rest stands.
"""

from datetime import timedelta

import pymysql
import redis

from perf_engine.core import bench_comparison, measured_capacity, monitor, volume_tiers
from perf_engine.core.capacity import CapacityInputs, reference_model
from perf_engine.core.checks import run_check
from perf_engine.core.config import ConnectionSettings

MEASURE_WINDOW = timedelta(hours=1)


def capacity_report(
	inputs: CapacityInputs,
	settings: ConnectionSettings,
	*,
	db: pymysql.Connection | None = None,
	cache: redis.Redis | None = None,
	queue: redis.Redis | None = None,
	bench_config: dict | None = None,
) -> dict:
	"""Reference model plus whichever measured parts the given connections allow."""
	model = reference_model(inputs)
	parts = {"reference": model}

	def measured() -> dict:
		log = monitor.log_path(settings.bench_path) if settings.bench_path else None
		found = monitor.read_window(cache, settings.cache_prefix, log, settings.site, MEASURE_WINDOW)
		return {**measured_capacity.measured_model(found), "window_s": MEASURE_WINDOW.total_seconds()}

	def tiers() -> dict:
		if db is None or not settings.db_name:
			raise ValueError("no site database given")
		return {"tables": volume_tiers.largest_tables(db, settings.db_name)}

	def comparison() -> dict:
		if db is None or queue is None:
			raise ValueError("needs the site database and the RQ Redis")
		queue_names = {q: settings.qualified_queue(q) for q in settings.queues}
		live = bench_comparison.live_workers_per_queue(queue, queue_names)
		rows = bench_comparison.compare(model, bench_config or {}, live, bench_comparison.max_connections(db))
		return {"rows": rows}

	for name, check in (("measured", measured), ("volume_tiers", tiers), ("comparison", comparison)):
		result = run_check(name, check)
		parts[name] = result.data if result.ok else {"error": result.error}
	return parts
