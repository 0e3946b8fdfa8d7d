"""`perf-engine metrics`: the Prometheus text that /api/method/perf_engine.api.metrics serves.

Both gather through `perf_engine.core.figures.collect` and render with
`perf_engine.core.metrics.render`, so they serve the same metric names; without --site
the site's history counts are left out and the health parts they feed are unknown.
"""

import argparse
import sys
from datetime import datetime

import pymysql

from perf_engine.cli import exit_codes
from perf_engine.core.config import ConnectionSettings
from perf_engine.core.connections import cache_redis, connect_mariadb, queue_redis
from perf_engine.core.errors import ServiceUnavailable
from perf_engine.core.figures import collect
from perf_engine.core.metrics import render
from perf_engine.core.settings import Settings, stored_settings


def register(subparsers: argparse._SubParsersAction) -> None:
	parser = exit_codes.add_command(
		subparsers,
		"metrics",
		"print Prometheus metrics for queues, Redis and (with --site) history and health",
	)
	parser.set_defaults(handler=handle)


def handle(settings: ConnectionSettings, args: argparse.Namespace) -> int:
	"""Each part is gathered on its own; a part that fails is left out and named on stderr."""
	db, site_settings, site_error = site_database(settings)
	found = collect(
		queue=queue_redis(settings),
		queue_names=settings.queue_names,
		cache=cache_redis(settings),
		settings=site_settings,
		now=datetime.now(),
		db=db,
	)
	sys.stdout.write(render(found).decode())
	failed = {name: error for name, error in found["errors"].items() if name != "counts" or settings.db_name}
	unavailable = found["unavailable"].keys() & failed.keys()
	if site_error:
		failed["counts"], unavailable = str(site_error), {*unavailable, "counts"}
	for name, error in failed.items():
		print(f"perf-engine: {name} left out: {error}", file=sys.stderr)
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
