"""`perf-engine sla`: p50/p95/p99 per kind of work and top endpoint, as the SLA view shows them.

Reads the site's monitor entries (its Redis list and the bench's log) for the window and
its Perf Snapshots' stored histograms for the last day and week: needs --bench and --site.
"""

import argparse
from datetime import timedelta

from perf_engine.cli import exit_codes
from perf_engine.cli.output import print_json, print_table
from perf_engine.core.config import ConnectionSettings
from perf_engine.core.connections import cache_redis, connect_mariadb
from perf_engine.core.errors import InvalidInput
from perf_engine.core.latency import monitor, sla

WINDOW_MINUTES = 15
MS = 1000


def register(subparsers: argparse._SubParsersAction) -> None:
	parser = exit_codes.add_command(
		subparsers,
		"sla",
		"p50/p95/p99 and counts per kind of work: window, last day, last 7 days (needs --site)",
	)
	parser.add_argument("--period", choices=sla.PERIODS, help="show one period only")
	parser.set_defaults(handler=handle)


def site_sla(settings: ConnectionSettings) -> dict:
	"""The site's SLA report, from the same core functions the API uses."""
	if not (settings.db_name and settings.bench_path and settings.site):
		raise InvalidInput("The SLA view reads one site's monitor and snapshots: pass --bench and --site")
	window = monitor.read_window(
		cache_redis(settings),
		settings.cache_prefix,
		monitor.log_path(settings.bench_path),
		settings.site,
		timedelta(minutes=WINDOW_MINUTES),
	)
	db = connect_mariadb(settings)
	return sla.report(window, WINDOW_MINUTES, sla.stored_periods(db, sla.site_now(db)))


def handle(settings: ConnectionSettings, args: argparse.Namespace) -> int:
	report = site_sla(settings)
	periods = [args.period] if args.period else list(sla.PERIODS)
	if args.json:
		print_json({period: report[period] for period in periods})
		return exit_codes.OK
	for period in periods:
		title = f"last {WINDOW_MINUTES} minutes" if period == sla.WINDOW else f"last {period}"
		print(f"{title} ({'exact' if period == sla.WINDOW else 'to a bucket, from snapshots'})")
		rows = [[kind, *cells(row)] for kind, row in report[period]["kinds"].items()]
		rows += [[f"{row['kind']} {row['endpoint']}", *cells(row)] for row in report[period]["endpoints"]]
		print_table(
			["kind / endpoint", "count", "p50 ms", "p95 ms", "p99 ms"],
			rows or [["(no traffic)", 0, "", "", ""]],
		)
		print()
	return exit_codes.OK


def cells(row: dict) -> list:
	return [row["count"], *(f"{row[f'p{pct}_s'] * MS:.1f}" for pct in sla.PERCENTILES)]
