"""`perf-engine footprint`: what perf_engine itself costs a site and its bench, judged as the health
overview judges it (the part "perf_engine itself")."""

import argparse
import time
from datetime import datetime

from perf_engine.cli import exit_codes
from perf_engine.cli.output import human_bytes, print_json, print_table
from perf_engine.cli.queries import site_of
from perf_engine.core.config import ConnectionSettings
from perf_engine.core.connections import cache_redis, connect_mariadb, queue_redis
from perf_engine.core.footprint import report
from perf_engine.core.health.footprint_rules import footprint
from perf_engine.core.health.verdicts import OK
from perf_engine.core.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
	parser = exit_codes.add_command(
		subparsers,
		"footprint",
		"what perf_engine itself costs: its jobs and worker time a day, rows, Redis keys and connections",
		findings="a check of perf_engine's own cost is past its warning limit",
	)
	parser.add_argument("--database", help="the site's database (default: the site's)")
	parser.set_defaults(handler=handle)


def handle(settings: ConnectionSettings, args: argparse.Namespace) -> int:
	site = site_of(settings, args)
	found = report.read(
		cache_redis(settings),
		queue_redis(settings),
		connect_mariadb(settings, site.database),
		time.time(),
		datetime.now(),
	)
	verdict = footprint(found, Settings())
	if args.json:
		print_json({**found, "health": verdict})
	else:
		show(found, verdict)
	return exit_codes.OK if verdict["status"] == OK else exit_codes.FINDINGS


def show(found: dict, verdict: dict) -> None:
	"""The verdict's checks, then the jobs, the rows and the keys behind them."""
	print(f"perf_engine itself: {verdict['status']}")
	print_table(
		["check", "status", "value", "threshold"],
		[
			(c["check"], c["status"], c["reason"].partition(": ")[2], c["threshold"])
			for c in verdict["checks"]
		],
	)
	print("\njobs in the last 24 h:")
	print_table(
		["job", "runs", "worker s"], [(j["job"], j["runs"], f"{j['seconds']:.1f}") for j in found["jobs"]]
	)
	print(f"\nbench-wide passes in the last 24 h: {found['bench_passes_per_day']}")
	print("\nrows written in the last 24 h:")
	rows = [("Scheduled Job Log", found["log_rows_per_day"]), *found["history_rows"].items()]
	print_table(["table", "rows"], rows)
	for name in ("cache_redis", "queue_redis"):
		part = found[name]
		scope = "" if part["complete"] else " (scan stopped early: at least)"
		print(f"\n{name.replace('_', ' ')} keys{scope}:")
		print_table(
			["family", "keys", "bytes"],
			[(family, f["keys"], human_bytes(f["bytes"])) for family, f in part["families"].items()],
		)
