"""`perf-engine`: the engine from a shell, outside a bench or beside one.

Each subcommand lives in its own module with `register(subparsers)`; this module only
parses the connection flags shared by all of them and dispatches.
"""

import argparse
import logging
import sys
from collections.abc import Sequence

from perf_engine import __version__
from perf_engine.cli import (
	capacity,
	doctor,
	indexes,
	metrics,
	queues,
	redis,
)
from perf_engine.core.config import load_settings
from perf_engine.core.errors import PerfEngineError

# One line per command module, so capabilities add themselves without touching each other.
COMMANDS = (
	doctor,
	capacity,
	queues,
	redis,
	indexes,
	metrics,
)


def build_parser() -> argparse.ArgumentParser:
	"""The top-level parser with connection flags and one subparser per command module."""
	parser = argparse.ArgumentParser(prog="perf-engine", description=__doc__.splitlines()[0])
	parser.add_argument("--version", action="version", version=f"perf-engine {__version__}")
	parser.add_argument("--bench", dest="bench_path", help="bench folder to read sites/*.json from")
	parser.add_argument("--site", help="site whose site_config.json to read (needs --bench)")
	parser.add_argument("--db-host")
	parser.add_argument("--db-port")
	parser.add_argument("--db-user")
	parser.add_argument("--db-password")
	parser.add_argument("--redis-cache-url")
	parser.add_argument("--redis-queue-url")
	parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
	parser.add_argument("-v", "--verbose", action="store_true", help="log what the engine does")
	subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
	for command in COMMANDS:
		command.register(subparsers)
	return parser


def main(argv: Sequence[str] | None = None) -> int:
	"""Parse, resolve connection settings, run the chosen command, map errors to exit codes."""
	args = build_parser().parse_args(argv)
	logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR, format="%(name)s: %(message)s")
	overrides = {
		name: getattr(args, name)
		for name in ("bench_path", "site", "db_host", "db_port", "db_user", "db_password")
	}
	overrides["redis_cache_url"] = args.redis_cache_url
	overrides["redis_queue_url"] = args.redis_queue_url
	try:
		settings = load_settings(overrides)
		return args.handler(settings, args) or 0
	except PerfEngineError as exc:
		print(f"perf-engine: {exc}", file=sys.stderr)
		return 2
