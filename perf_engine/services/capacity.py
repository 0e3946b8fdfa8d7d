"""Capacity for this site: the core's report with the site's database, cache, RQ and bench config."""

from perf_engine.core.capacity.model import CapacityInputs
from perf_engine.core.capacity.report import capacity_report
from perf_engine.core.config import bench_config
from perf_engine.services import bridge, calibration


def report(inputs: CapacityInputs) -> dict:
	"""The core's capacity report with this site's database, cache, RQ, bench config and calibration."""
	settings = bridge.connection_settings()
	return capacity_report(
		inputs,
		settings,
		db=bridge.db_connection(),
		cache=bridge.cache_redis(),
		queue=bridge.queue_redis(),
		bench_config=bench_config(settings.bench_path),
		rates=calibration.current_rates(),
	)
