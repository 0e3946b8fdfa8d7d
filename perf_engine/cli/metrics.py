"""`perf-engine metrics`: the Prometheus text that /api/method/perf_engine.api.metrics serves.

Both gather through `perf_engine.core.health.figures.collect` and render with
`perf_engine.core.health.metrics.render`, so they serve the same metric names; without --site
the site's history counts are left out and the health parts they feed are unknown.
"""

import argparse
import sys
from datetime import datetime

import pymysql

from perf_engine.cli import exit_codes
from perf_engine.cli.jobs import job_stats
from perf_engine.cli.sla import site_sla
from perf_engine.core.checks import run_check
from perf_engine.core.config import ConnectionSettings, bench_config, site_conf
from perf_engine.core.connections import cache_redis, connect_mariadb, queue_redis
from perf_engine.core.errors import ServiceUnavailable
from perf_engine.core.health import identity
from perf_engine.core.health.figures import collect
from perf_engine.core.health.metrics import render
from perf_engine.core.jobstats.report import METRIC_METHODS
from perf_engine.core.settings import Settings, stored_settings

# The parts read from the site's database: left out without --site, named when it is unreachable.
SITE_PARTS = ("counts", "thresholds", "scheduler", "mariadb", "database", "footprint")


def register(subparsers: argparse._SubParsersAction) -> None:
	parser = exit_codes.add_command(
		subparsers,
		"metrics",
		"print Prometheus metrics for queues, Redis and (with --site) history, health and SLA percentiles",
	)
	parser.set_defaults(handler=handle)


def handle(settings: ConnectionSettings, args: argparse.Namespace) -> int:
	"""Each part is gathered on its own; a part that fails is left out and named on stderr."""
	db, site_settings, site_error = site_database(settings)
	conf = site_conf(settings.bench_path, settings.site)
	found = collect(
		queue=queue_redis(settings),
		queue_names=settings.queue_names,
		cache=cache_redis(settings),
		settings=site_settings,
		now=datetime.now(),
		db=db,
		site_conf=conf,
	)
	# The SLA part reads the site's monitor entries: it needs the bench and the site, not only a
	# database, and the cache Redis (when that is down, its own line already says so).
	if settings.site and settings.bench_path and db is not None and found["redis"] is not None:
		part = run_check("sla", lambda: site_sla(settings))
		found["sla"] = part.data if part.ok else None
		if not part.ok:
			found["errors"]["sla"] = part.error
	if found["queues"] is not None:
		part = run_check("job_stats", lambda: job_stats(settings, db, top=METRIC_METHODS))
		found["job_stats"] = part.data if part.ok else None
		if not part.ok:
			found["errors"]["job_stats"] = part.error
	bench_conf = conf or (bench_config(settings.bench_path) if settings.bench_path else {})
	sys.stdout.write(render(found, identity.of(bench_conf, settings.bench_id, settings.site)).decode())
	failed = {
		name: error for name, error in found["errors"].items() if name not in SITE_PARTS or settings.db_name
	}
	unavailable = found["unavailable"].keys() & failed.keys()
	if site_error:
		failed |= dict.fromkeys(SITE_PARTS, str(site_error))
		unavailable = {*unavailable, *SITE_PARTS}
	# Parts that failed for one reason (the site's database down) share one line.
	by_error: dict[str, list[str]] = {}
	for name, error in failed.items():
		by_error.setdefault(error, []).append(name)
	for error, names in by_error.items():
		print(f"perf-engine: {', '.join(names)} left out: {error}", file=sys.stderr)
	if unavailable:
		return exit_codes.UNAVAILABLE
	return exit_codes.UNEXPECTED if failed else exit_codes.OK


def site_database(
	settings: ConnectionSettings,
) -> tuple[pymysql.Connection | None, Settings, ServiceUnavailable | None]:
	"""The site's database and saved settings; without a site (or when unreachable) defaults and why."""
	if not settings.db_name:
		return None, Settings(), None
	try:
		db = connect_mariadb(settings)
		return db, stored_settings(db), None
	except ServiceUnavailable as exc:
		return None, Settings(), exc
