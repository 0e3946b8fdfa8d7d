"""`perf-engine metrics`: the Prometheus text that /api/method/perf_engine.api.metrics serves."""

import argparse
import sys

from perf_engine.cli import exit_codes
from perf_engine.core.checks import run_check
from perf_engine.core.config import ConnectionSettings
from perf_engine.core.connections import cache_redis, connect_mariadb, queue_redis
from perf_engine.core.jobs.queue_status import queue_status
from perf_engine.core.redis_memory import memory_status
from perf_engine.core.site_counts import site_counts
from perf_engine.metrics import render


def register(subparsers: argparse._SubParsersAction) -> None:
	parser = exit_codes.add_command(
		subparsers, "metrics", "print Prometheus metrics for queues, Redis and (with --site) history"
	)
	parser.set_defaults(handler=handle)


def handle(settings: ConnectionSettings, args: argparse.Namespace) -> int:
	"""Each part is gathered on its own; a part that fails is left out and named on stderr."""
	queues = {queue: settings.qualified_queue(queue) for queue in settings.queues}
	queue, cache = queue_redis(settings), cache_redis(settings)
	parts = [
		run_check("queues", lambda: {"rows": queue_status(queue, queues)}),
		run_check("redis", lambda: memory_status(cache)),
	]
	if settings.db_name:
		parts.append(run_check("counts", lambda: site_counts(connect_mariadb(settings))))
	found = {part.name: part.data for part in parts if part.ok}
	found["queues"] = found.get("queues", {}).get("rows")
	sys.stdout.write(render(found).decode())
	for part in parts:
		if not part.ok:
			print(f"perf-engine: {part.name} left out: {part.error}", file=sys.stderr)
	if any(part.service for part in parts):
		return exit_codes.UNAVAILABLE
	return exit_codes.OK if all(part.ok for part in parts) else exit_codes.UNEXPECTED
