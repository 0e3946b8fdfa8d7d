"""`perf-engine capacity`: the reference model, and with --bench/--site the measured one and a comparison."""

import argparse

from perf_engine.cli.output import print_json, print_table
from perf_engine.core.capacity import CapacityInputs, host_resources
from perf_engine.core.capacity_report import capacity_report
from perf_engine.core.config import ConnectionSettings, bench_config
from perf_engine.core.connections import cache_redis, connect_mariadb, queue_redis
from perf_engine.core.errors import InvalidInput, ServiceUnavailable


def register(subparsers: argparse._SubParsersAction) -> None:
	parser = subparsers.add_parser(
		"capacity", help="size gunicorn, RQ workers and the DB pool from load figures"
	)
	parser.add_argument("--users", type=float, required=True, help="concurrent users")
	parser.add_argument("--transactions", type=float, required=True, help="transactions per user per hour")
	parser.add_argument("--records", type=float, default=20, help="average records per query")
	parser.add_argument("--peak", type=float, default=2, help="peak multiplier")
	parser.add_argument("--mix", default="60,25,10,5", help="light,medium,heavy,batch percentages")
	parser.add_argument("--cores", type=float, help="target host CPU cores (default: this host)")
	parser.add_argument("--memory-gb", type=float, help="target host memory in GB (default: this host)")
	parser.add_argument("--memory-per-worker", type=float, default=256, help="MB per gunicorn worker")
	parser.set_defaults(handler=handle)


def parse_mix(text: str) -> list[float]:
	try:
		shares = [float(part) for part in text.split(",")]
	except ValueError:
		raise InvalidInput(f"--mix takes four numbers like 60,25,10,5, got {text!r}")
	if len(shares) != 4:
		raise InvalidInput(f"--mix takes four numbers (light,medium,heavy,batch), got {len(shares)}")
	return shares


def handle(settings: ConnectionSettings, args: argparse.Namespace) -> int:
	light, medium, heavy, batch = parse_mix(args.mix)
	host = host_resources()
	inputs = CapacityInputs(
		concurrent_users=args.users,
		transactions_per_user_per_hour=args.transactions,
		avg_records_per_query=args.records,
		peak_multiplier=args.peak,
		mix_light=light,
		mix_medium=medium,
		mix_heavy=heavy,
		mix_batch=batch,
		host_cpu_cores=args.cores or host["host_cpu_cores"],
		host_memory_gb=args.memory_gb or host["host_memory_gb"],
		memory_per_worker_mb=args.memory_per_worker,
	)
	report = capacity_report(inputs, settings, **bench_connections(settings))
	if args.json:
		print_json(report)
	else:
		print_report(report)
	return 0


def bench_connections(settings: ConnectionSettings) -> dict:
	"""Connections for the measured parts when a bench site is named; none otherwise."""
	if not settings.site:
		return {}
	try:
		db = connect_mariadb(settings)
	except ServiceUnavailable:
		db = None
	return {
		"db": db,
		"cache": cache_redis(settings),
		"queue": queue_redis(settings),
		"bench_config": bench_config(settings.bench_path),
	}


def print_report(report: dict) -> None:
	ref = report["reference"]
	web, background, db = ref["web"], ref["background"], ref["db_connections"]
	print(
		f"Peak requests/min {web['peak_requests_per_min']:g}, API calls/min {web['peak_api_calls_per_min']:g}"
	)
	print_table(
		["resource", "recommended", "minimum"],
		[
			("gunicorn workers", web["recommended_gunicorn_workers"], web["minimum_gunicorn_workers"]),
			("default queue workers", background["default"], background["default"]),
			("short queue workers", background["short"], background["short"]),
			("long queue workers", background["long"], background["long"]),
			("scheduler", background["scheduler"], background["scheduler"]),
			("db connections", db["recommended_pool"], db["minimum"]),
		],
	)
	host = ref["host_gunicorn"]
	print(
		f"\nGunicorn for this host: --workers {host['workers']} --worker-class gthread --threads {host['threads']}"
	)
	measured = report["measured"]
	if "error" in measured:
		print(f"\nMeasured model: unavailable ({measured['error']})")
	elif measured["missing"]:
		print(f"\nMeasured model: no monitor data for {', '.join(measured['missing'])}")
	if measured.get("gunicorn_workers") is not None:
		print(f"Measured model: {measured['gunicorn_workers']} gunicorn workers (Little's law)")
	rows = report["comparison"].get("rows")
	if rows:
		print()
		print_table(
			["resource", "now", "recommended", "verdict"],
			[(r["resource"], r["actual"], r["recommended"], r["verdict"]) for r in rows],
		)
