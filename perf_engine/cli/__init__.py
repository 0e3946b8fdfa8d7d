"""`perf-engine`: the engine from a shell, outside a bench or beside one.

Each subcommand lives in its own module with `register(subparsers)`; this module only
parses the connection flags shared by all of them, dispatches, and turns every failure
into one line on stderr and the exit code `exit_codes` documents: never a traceback.
"""

import argparse
import logging
import sys
from collections.abc import Sequence

import pymysql

from perf_engine import __version__
from perf_engine.cli import (
	capacity,
	deadlocks,
	doctor,
	exit_codes,
	footprint,
	indexes,
	jobs,
	load,
	metrics,
	queries,
	queues,
	readiness,
	redis,
	sla,
)
from perf_engine.cli.output import RedactingFilter
from perf_engine.core.config import ConnectionSettings, load_settings
from perf_engine.core.errors import InvalidInput, PerfEngineError, ServiceUnavailable
from perf_engine.core.redaction import redact
from perf_engine.core.service_errors import is_lost_connection, mariadb_location, mariadb_unavailable

logger = logging.getLogger(__name__)
INTERRUPTED = 130

# One line per command module, so capabilities add themselves without touching each other.
COMMANDS = (
	doctor,
	capacity,
	queues,
	jobs,
	redis,
	indexes,
	metrics,
	readiness,
	load,
	sla,
	queries,
	deadlocks,
	footprint,
)


def build_parser() -> argparse.ArgumentParser:
	"""The top-level parser with connection flags and one subparser per command module."""
	parser = argparse.ArgumentParser(
		prog="perf-engine",
		description=__doc__.splitlines()[0],
		epilog=exit_codes.epilog(exit_codes.GENERAL[exit_codes.FINDINGS]),
		formatter_class=argparse.RawDescriptionHelpFormatter,
	)
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
	configure_logging(args.verbose)
	overrides = {
		name: getattr(args, name)
		for name in ("bench_path", "site", "db_host", "db_port", "db_user", "db_password")
	}
	overrides["redis_cache_url"] = args.redis_cache_url
	overrides["redis_queue_url"] = args.redis_queue_url
	settings = None
	try:
		settings = load_settings(overrides)
		return args.handler(settings, args) or exit_codes.OK
	except InvalidInput as exc:
		return fail(exc, exit_codes.BAD_INPUT)
	except ServiceUnavailable as exc:
		return fail(exc, exit_codes.UNAVAILABLE)
	except pymysql.MySQLError as exc:
		if settings is not None and is_lost_connection(exc):
			return fail(lost_mariadb(settings, exc), exit_codes.UNAVAILABLE)
		return unexpected(exc)
	except PerfEngineError as exc:
		return fail(exc, exit_codes.BAD_INPUT)
	except KeyboardInterrupt:
		return fail("interrupted", INTERRUPTED)
	except Exception as exc:
		return unexpected(exc)


def configure_logging(verbose: bool) -> None:
	"""Log to stderr, with any password a library or we might print masked."""
	logging.basicConfig(level=logging.INFO if verbose else logging.ERROR, format="%(name)s: %(message)s")
	for handler in logging.getLogger().handlers:
		handler.addFilter(RedactingFilter())


def fail(reason: object, code: int) -> int:
	"""One line on stderr, secrets masked, and the exit code."""
	print(f"perf-engine: {redact(reason)}", file=sys.stderr)
	return code


def lost_mariadb(settings: ConnectionSettings, exc: pymysql.MySQLError) -> ServiceUnavailable:
	"""MariaDB went away in the middle of a command: the same error as if it had refused us."""
	where = mariadb_location(settings.db_host, settings.db_port, settings.db_socket, settings.db_name)
	return mariadb_unavailable(where, settings.db_user, exc)


def unexpected(exc: Exception) -> int:
	"""A bug, not an operator's mistake: one line, and the traceback only with -v."""
	logger.info("unexpected error", exc_info=True)
	return fail(
		f"unexpected error {type(exc).__name__}: {exc} (rerun with -v for the traceback)",
		exit_codes.UNEXPECTED,
	)
