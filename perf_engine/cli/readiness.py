"""`perf-engine readiness`: the production-readiness checklist for one site, line by line.

The same facts (`core.readiness_facts.gather`) and rules (`core.readiness.assess`) as
`perf_engine.api.readiness` and the workspace; needs the site's database (--bench and --site).
"""

import argparse
import sys
from datetime import datetime, timezone

from perf_engine.cli import exit_codes
from perf_engine.cli.output import print_json, print_table
from perf_engine.core.config import ConnectionSettings, bench_config, site_conf
from perf_engine.core.connections import cache_redis, connect_mariadb, queue_redis
from perf_engine.core.errors import InvalidInput
from perf_engine.core.health import readiness, readiness_facts
from perf_engine.core.latency import monitor, slow_requests
from perf_engine.core.settings import stored_settings

NEEDS_SITE = "readiness needs the site's database: pass --bench and --site (or PERF_ENGINE_DB_NAME)"


def register(subparsers: argparse._SubParsersAction) -> None:
	parser = exit_codes.add_command(
		subparsers,
		"readiness",
		"the production-readiness checklist: each line ok, warning or failing, with evidence and action",
		findings="a line of the checklist is failing",
	)
	parser.add_argument(
		"--requests-since",
		metavar="WHEN",
		help="judge slow requests only since WHEN (ISO date-time, this machine's time zone unless given; "
		"e.g. your last deploy), within the last hour",
	)
	parser.set_defaults(handler=handle)


def sources(settings: ConnectionSettings) -> readiness_facts.Sources:
	"""The site's own connections and config, as the bench hands them to the same gatherer."""
	if not settings.db_name:
		raise InvalidInput(NEEDS_SITE)
	bench = settings.bench_path
	return readiness_facts.Sources(
		db=connect_mariadb(settings),
		schema=settings.db_name,
		cache=cache_redis(settings),
		queue=queue_redis(settings),
		queue_names=settings.queue_names,
		bench_config=bench_config(bench) if bench else {},
		site_conf=site_conf(bench, settings.site),
		cache_prefix=settings.cache_prefix,
		monitor_log=monitor.log_path(bench) if bench else None,
		site=settings.site,
	)


def handle(settings: ConnectionSettings, args: argparse.Namespace) -> int:
	"""Print every line; exit 3 when a service kept facts from being read, 1 when a line fails."""
	since = (
		slow_requests.parse_since(args.requests_since, None, datetime.now(timezone.utc))
		if args.requests_since
		else None
	)
	found = sources(settings)
	facts = readiness_facts.gather(found, stored_settings(found.db), datetime.now(), since)
	answer = readiness.assess(facts)
	if args.json:
		print_json(answer)
	else:
		print_table(
			["line", "status", "evidence", "action"],
			[(line["label"], line["status"], line["evidence"], line["action"]) for line in answer["lines"]],
		)
		print(f"\nReady: {answer['status']}")
	down = readiness_facts.unavailable(facts)
	for error in down.values():
		print(f"perf-engine: {error}", file=sys.stderr)
	if down:
		return exit_codes.UNAVAILABLE
	return exit_codes.FINDINGS if answer["status"] == readiness.FAILING else exit_codes.OK
