"""`perf-engine metrics`: the Prometheus text that /api/method/perf_engine.api.metrics serves."""

import argparse
import sys

from perf_engine.core.checks import run_check
from perf_engine.core.config import ConnectionSettings
from perf_engine.core.connections import cache_redis, connect_mariadb, queue_redis
from perf_engine.core.jobs.queue_status import queue_status
from perf_engine.core.metrics import render
from perf_engine.core.redis_memory import memory_status
from perf_engine.core.site_counts import site_counts


def register(subparsers: argparse._SubParsersAction) -> None:
	parser = subparsers.add_parser(
		"metrics", help="print Prometheus metrics for queues, Redis and (with --site) history"
	)
	parser.set_defaults(handler=handle)


def handle(settings: ConnectionSettings, args: argparse.Namespace) -> int:
	"""Each part is gathered on its own; a part that fails is left out and named on stderr."""
	queues = {queue: settings.qualified_queue(queue) for queue in settings.queues}
	parts = [
		run_check("queues", lambda: {"rows": queue_status(queue_redis(settings), queues)}),
		run_check("redis", lambda: memory_status(cache_redis(settings))),
	]
	if settings.db_name:
		parts.append(run_check("counts", lambda: site_counts(connect_mariadb(settings))))
	found = {part.name: part.data for part in parts if part.ok}
	found["queues"] = found.get("queues", {}).get("rows")
	sys.stdout.write(render(found).decode())
	for part in parts:
		if not part.ok:
			print(f"perf-engine: {part.name} left out: {part.error}", file=sys.stderr)
	return 0 if all(part.ok for part in parts) else 1
