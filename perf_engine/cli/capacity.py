"""`perf-engine capacity`: the reference model and the recommendation built on it, and with
--bench/--site the measured model and a comparison with what the bench runs."""

import argparse
import math
import sys

from perf_engine.cli import exit_codes
from perf_engine.cli.output import print_json, print_table
from perf_engine.core.capacity.bench_comparison import UNDER
from perf_engine.core.capacity.model import MIX_FIELDS, CapacityInputs, inputs_from
from perf_engine.core.capacity.report import capacity_report
from perf_engine.core.config import ConnectionSettings, bench_config
from perf_engine.core.connections import cache_redis, connect_mariadb, queue_redis
from perf_engine.core.errors import InvalidInput, ServiceUnavailable

MIX_PARTS = ("light", "medium", "heavy", "batch")
BENCH_PARTS = ("measured", "volume_tiers", "comparison")


def register(subparsers: argparse._SubParsersAction) -> None:
	parser = exit_codes.add_command(
		subparsers,
		"capacity",
		"size gunicorn, RQ workers and the DB pool from load figures",
		findings="the load passes a hard limit (scale out), or the bench runs less than the minimum",
	)
	parser.add_argument("--users", type=float, required=True, help="concurrent users")
	parser.add_argument("--transactions", type=float, required=True, help="transactions per user per hour")
	parser.add_argument(
		"--records",
		type=float,
		help=f"average records per query, sizes reports (default {CapacityInputs.avg_records_per_query:g})",
	)
	parser.add_argument(
		"--peak", type=float, help=f"peak multiplier (default {CapacityInputs.peak_multiplier:g})"
	)
	parser.add_argument(
		"--mix",
		default=",".join(f"{getattr(CapacityInputs, name):g}" for name in MIX_FIELDS),
		help="light,medium,heavy,batch percentages",
	)
	parser.add_argument("--cores", type=float, help="target host CPU cores (default: this host)")
	parser.add_argument("--memory-gb", type=float, help="target host memory in GB (default: this host)")
	parser.add_argument(
		"--memory-per-worker",
		type=float,
		help=f"MB per gunicorn worker (default {CapacityInputs.memory_per_worker_mb:g})",
	)
	parser.set_defaults(handler=handle)


def parse_mix(text: str) -> list[float]:
	"""Four finite percentages; anything else is refused with the value given."""
	parts = text.split(",")
	if len(parts) != len(MIX_PARTS):
		raise InvalidInput(f"--mix takes four numbers (light,medium,heavy,batch), got {len(parts)}: {text!r}")
	shares = []
	for name, part in zip(MIX_PARTS, parts, strict=True):
		try:
			share = float(part)
		except ValueError:
			share = math.nan
		if not math.isfinite(share):
			raise InvalidInput(f"--mix {name} share must be a number like 60, got {part.strip()!r}")
		shares.append(share)
	return shares


def handle(settings: ConnectionSettings, args: argparse.Namespace) -> int:
	inputs = inputs_from(
		{
			"concurrent_users": args.users,
			"transactions_per_user_per_hour": args.transactions,
			"avg_records_per_query": args.records,
			"peak_multiplier": args.peak,
			**dict(zip(MIX_FIELDS, parse_mix(args.mix), strict=True)),
			"host_cpu_cores": args.cores,
			"host_memory_gb": args.memory_gb,
			"memory_per_worker_mb": args.memory_per_worker,
		}
	)
	report = capacity_report(inputs, settings, **bench_connections(settings))
	if args.json:
		print_json(report)
	else:
		print_report(report)
	return outcome(report)


def bench_connections(settings: ConnectionSettings) -> dict:
	"""Connections for the measured parts when a bench site is named; the database's own error if it refuses."""
	if not settings.site:
		return {}
	try:
		db = connect_mariadb(settings)
	except ServiceUnavailable as exc:
		db = exc
	return {
		"db": db,
		"cache": cache_redis(settings),
		"queue": queue_redis(settings),
		"bench_config": bench_config(settings.bench_path),
	}


def outcome(report: dict) -> int:
	"""3 when a named site's service failed us, 1 past a hard limit or under the minimum, else 0."""
	if any(report[part].get("service") for part in BENCH_PARTS):
		return exit_codes.UNAVAILABLE
	rows = report["comparison"].get("rows") or []
	if not report["recommendation"]["fits"] or any(row["verdict"] == UNDER for row in rows):
		return exit_codes.FINDINGS
	return exit_codes.OK


def print_report(report: dict) -> None:
	ref, advice = report["reference"], report["recommendation"]
	web, background, db = ref["web"], ref["background"], ref["db_connections"]
	print(
		f"Peak requests/min {web['peak_requests_per_min']:g}, API calls/min {web['peak_api_calls_per_min']:g}, "
		f"a report takes about {advice['report']['seconds_per_report']:g} s"
	)
	print_table(
		["resource", "formula", "formula minimum", "recommended", "minimum"],
		[
			(
				"gunicorn workers",
				web["recommended_gunicorn_workers"],
				web["minimum_gunicorn_workers"],
				advice["gunicorn_workers"]["recommended"],
				advice["gunicorn_workers"]["minimum"],
			),
			*(
				(f"{queue} queue workers", background[queue], background[queue], count, count)
				for queue, count in ((q, advice["background"][q]) for q in ("default", "short", "long"))
			),
			("scheduler", background["scheduler"], background["scheduler"], 1, 1),
			(
				"db connections",
				db["recommended_pool"],
				db["minimum"],
				advice["db_pool"]["recommended"],
				advice["db_pool"]["minimum"],
			),
		],
	)
	for line in [*advice["floors"], *advice["notes"]]:
		print(f"  {line}")
	print(advice["verdict"])
	host = ref["host_gunicorn"]
	print(
		f"\nGunicorn for this host: --workers {host['workers']} --worker-class gthread --threads {host['threads']}"
	)
	print_bench_parts(report)


def print_bench_parts(report: dict) -> None:
	"""The measured model and the comparison; a service that failed is named once."""
	failed = {report[p]["service"]: report[p]["error"] for p in BENCH_PARTS if report[p].get("service")}
	for error in failed.values():
		print(f"perf-engine: {error}", file=sys.stderr)
	measured = report["measured"]
	if "error" in measured:
		print(f"\nMeasured model: unavailable ({measured['service'] or measured['error']})")
	elif measured["missing"]:
		print(f"\nMeasured model: no monitor data for {', '.join(measured['missing'])}")
	if measured.get("gunicorn_workers") is not None:
		print(f"Measured model: {measured['gunicorn_workers']} gunicorn workers (Little's law)")
	comparison = report["comparison"]
	if comparison.get("service"):
		print(f"Comparison with the bench: unavailable ({comparison['service']})")
	rows = comparison.get("rows")
	if rows:
		print()
		print_table(
			["resource", "now", "recommended", "verdict"],
			[(r["resource"], r["actual"], r["recommended"], r["verdict"]) for r in rows],
		)
