"""`perf-engine doctor`: what the local MariaDB, Redis and RQ look like right now."""

import argparse

from perf_engine.cli import exit_codes
from perf_engine.cli.output import human_bytes, print_json, print_table
from perf_engine.core.checks import CheckResult
from perf_engine.core.config import ConnectionSettings
from perf_engine.core.health.doctor import run_doctor


def register(subparsers: argparse._SubParsersAction) -> None:
	parser = exit_codes.add_command(
		subparsers, "doctor", "report versions, reachability, queues, workers and sizes"
	)
	parser.set_defaults(handler=handle)


def handle(settings: ConnectionSettings, args: argparse.Namespace) -> int:
	"""Print the report; every section is shown even when a service is down."""
	results = run_doctor(settings)
	if args.json:
		print_json([r.as_dict() for r in results])
	else:
		for result in results:
			print_section(result)
	if any(r.service for r in results):
		return exit_codes.UNAVAILABLE
	return exit_codes.OK if all(r.ok for r in results) else exit_codes.UNEXPECTED


def print_section(result: CheckResult) -> None:
	print(f"\n== {result.name}: {'ok' if result.ok else 'FAILED'}")
	if not result.ok:
		print(f"   {result.error}")
		return
	data = result.data
	if result.name == "mariadb":
		print(f"   {data['address']}  MariaDB {data['version']}")
		print(f"   max_connections {data['max_connections']}, connected {data['threads_connected']}")
		print_table(
			["database", "tables", "data", "indexes"],
			[
				(d["name"], d["tables"], human_bytes(d["data_bytes"]), human_bytes(d["index_bytes"]))
				for d in data["databases"]
			],
		)
	elif result.name.startswith("redis"):
		print(f"   {data['url']}  Redis {data['version']}, used {human_bytes(data['used_memory'])}")
		print(
			f"   maxmemory {human_bytes(data['maxmemory']) if data['maxmemory'] else 'unlimited'}, clients {data['connected_clients']}"
		)
		print("   keys: " + (", ".join(f"{db}={n}" for db, n in data["keys_per_db"].items()) or "none"))
	elif result.name == "rq":
		print_table(
			["queue", "queued"], [(q["name"], q["queued"]) for q in data["queues"]] or [("(none)", "")]
		)
		print_table(
			["worker", "state", "alive", "queues"],
			[
				(w["name"], w["state"], "yes" if w["alive"] else "no", ",".join(w["queues"]))
				for w in data["workers"]
			]
			or [("(none)", "", "", "")],
		)
