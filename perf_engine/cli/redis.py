"""`perf-engine redis` (memory, breakdown, cleanup) and `perf-engine warm` (through a bench)."""

import argparse
import subprocess
from pathlib import Path

from perf_engine.cli import exit_codes
from perf_engine.cli.output import ProgressBar, human_bytes, print_json, print_table
from perf_engine.core.config import ConnectionSettings, site_db_names
from perf_engine.core.connections import cache_redis
from perf_engine.core.errors import InvalidInput
from perf_engine.core.redis import cleanup as redis_cleanup
from perf_engine.core.redis import memory as redis_memory
from perf_engine.core.settings import MB, Settings


def register(subparsers: argparse._SubParsersAction) -> None:
	parser = exit_codes.add_command(
		subparsers, "redis", "cache Redis memory, breakdown by prefix, pressure cleanup"
	)
	parser.add_argument(
		"--prefix", help="a site's key prefix '<db_name>|' or its db name (default: from --site)"
	)
	parser.add_argument(
		"--budget-mb",
		type=int,
		default=Settings.redis_memory_budget_mb,
		help="memory limit when Redis has no maxmemory",
	)
	parser.add_argument("--cleanup", action="store_true", help="delete non-essential keys of the site")
	parser.add_argument("--dry-run", action="store_true", help="with --cleanup: only report what would go")
	parser.add_argument("--force", action="store_true", help="with --cleanup: ignore the pressure threshold")
	parser.add_argument("--pattern", action="append", help="key pattern inside the prefix (repeatable)")
	parser.add_argument(
		"--threshold",
		type=float,
		default=Settings.redis_pressure_threshold,
		help="clean up above this pressure, in %%",
	)
	parser.add_argument(
		"--target", type=float, default=Settings.redis_target_pressure, help="stop below this pressure, in %%"
	)
	parser.set_defaults(handler=handle_redis)
	warm = exit_codes.add_command(
		subparsers,
		"warm",
		"warm the site's caches now (needs --bench and --site)",
		findings="warming failed inside the bench (its own output says why)",
	)
	warm.set_defaults(handler=handle_warm)


def site_prefix(settings: ConnectionSettings, args: argparse.Namespace) -> str:
	"""--prefix or --site's prefix, checked against the bench's sites when a bench is known."""
	known = site_db_names(settings.bench_path) if settings.bench_path else None
	return redis_cleanup.site_prefix(args.prefix or settings.cache_prefix, known)


def handle_redis(settings: ConnectionSettings, args: argparse.Namespace) -> int:
	client = cache_redis(settings)
	# Memory status alone may cover the whole instance; anything scoped to a site needs a valid prefix.
	prefix = site_prefix(settings, args) if args.cleanup or args.prefix or settings.cache_prefix else ""
	if args.cleanup:
		report = redis_cleanup.cleanup(
			client,
			prefix,
			args.pattern or Settings.redis_cleanup_patterns,
			threshold=args.threshold / 100,
			target=args.target / 100,
			budget_bytes=args.budget_mb * MB,
			dry_run=args.dry_run,
			force=args.force,
			on_progress=None if args.json else ProgressBar("cleanup"),
		)
		print_json(report) if args.json else print_cleanup(report)
		return exit_codes.OK
	status = redis_memory.memory_status(client, args.budget_mb * MB)
	status["breakdown"] = redis_memory.breakdown(client, match=redis_cleanup.escape_glob(prefix) + "*")
	print_json(status) if args.json else print_status(status)
	return exit_codes.OK


def print_status(status: dict) -> None:
	pressure = (
		"no limit set"
		if status["pressure"] is None
		else f"{status['pressure'] * 100:.1f} % of {human_bytes(status['limit_bytes'])} ({status['limit_source']})"
	)
	print(
		f"used {human_bytes(status['used_memory'])}, peak {human_bytes(status['used_memory_peak'])}, pressure {pressure}"
	)
	print(
		f"policy {status['maxmemory_policy']}, allocator fragmentation {status['allocator_frag_ratio']}, evicted {status['evicted_keys']}, hit rate {status['hit_rate']}"
	)
	print(status["note"])
	print_table(
		["prefix", "keys", "memory"],
		[(r["prefix"], r["keys"], human_bytes(r["bytes"])) for r in status["breakdown"]["prefixes"]],
	)


def print_cleanup(report: dict) -> None:
	if report.get("skipped"):
		print(f"skipped: {report['skipped']}")
		return
	verb = "would delete" if report["dry_run"] else "deleted"
	print(
		f"{verb} {report['keys']} keys, {human_bytes(report['bytes'])} in {report['duration_s']} s ({report['stopped']})"
	)
	if report["dry_run"]:
		print_table(
			["pattern", "keys", "memory", "for example"],
			[
				(g["pattern"], g["keys"], human_bytes(g["bytes"]), ", ".join(g["examples"]))
				for g in report["by_pattern"]
			],
		)


def handle_warm(settings: ConnectionSettings, args: argparse.Namespace) -> int:
	"""Warming reads documents through Frappe, so it runs inside the bench's own Python."""
	if not settings.bench_path or not settings.site:
		raise InvalidInput("perf-engine warm needs --bench and --site: it warms that site through Frappe")
	bench = Path(settings.bench_path)
	if not (bench / "env/bin/python").is_file():
		raise InvalidInput(f"{bench} has no env/bin/python: perf-engine warm needs a bench with its Python")
	command = [
		str(bench / "env/bin/python"),
		"-m",
		"frappe.utils.bench_helper",
		"frappe",
		"--site",
		settings.site,
	]
	command += ["execute", "perf_engine.services.warm.warm_caches"]
	warmed = subprocess.run(command, cwd=bench / "sites", check=False).returncode == 0
	return exit_codes.OK if warmed else exit_codes.FINDINGS
