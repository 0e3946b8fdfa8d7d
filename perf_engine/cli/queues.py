"""`perf-engine queues` and `perf-engine stalls`: RQ queues and stalled jobs from a shell."""

import argparse

from perf_engine.cli.output import print_json, print_table
from perf_engine.core.config import ConnectionSettings
from perf_engine.core.connections import queue_redis
from perf_engine.core.jobs.advice import AdviceLimits, advise
from perf_engine.core.jobs.queue_status import queue_status
from perf_engine.core.jobs.stalls import StallLimits, detect


def register(subparsers: argparse._SubParsersAction) -> None:
	queues = subparsers.add_parser(
		"queues", help="queued/started/failed counts, oldest job and workers per queue"
	)
	queues.add_argument("--backlog-limit", type=int, default=AdviceLimits.backlog_limit)
	queues.set_defaults(handler=handle_queues)
	stalls = subparsers.add_parser("stalls", help="long-running, orphaned, waiting and zombie jobs")
	stalls.add_argument("--stall-after", type=float, default=StallLimits.stall_after_s, help="seconds")
	stalls.add_argument(
		"--queue-wait-limit", type=float, default=StallLimits.queue_wait_limit_s, help="seconds"
	)
	stalls.set_defaults(handler=handle_stalls)


def queue_names(settings: ConnectionSettings) -> dict[str, str]:
	return {queue: settings.qualified_queue(queue) for queue in settings.queues}


def handle_queues(settings: ConnectionSettings, args: argparse.Namespace) -> int:
	limits = AdviceLimits(backlog_limit=args.backlog_limit)
	rows = [
		{**row, **advise(row, limits)} for row in queue_status(queue_redis(settings), queue_names(settings))
	]
	if args.json:
		print_json(rows)
		return 0
	print_table(
		[
			"queue",
			"queued",
			"started",
			"failed",
			"deferred",
			"scheduled",
			"finished",
			"oldest s",
			"workers",
			"busy",
			"advice",
		],
		[
			(
				r["queue"],
				r["queued"],
				r["started"],
				r["failed"],
				r["deferred"],
				r["scheduled"],
				r["finished"],
				"-" if r["oldest_queued_age_s"] is None else round(r["oldest_queued_age_s"]),
				r["workers"]["total"],
				r["workers"]["busy"],
				r["advice"],
			)
			for r in rows
		],
	)
	for row in rows:
		if row["advice"] != "ok":
			print(f"{row['queue']}: {row['reason']}")
	return 0


def handle_stalls(settings: ConnectionSettings, args: argparse.Namespace) -> int:
	"""Exit 1 when anything is stalled, so cron and monitoring can alert on it."""
	limits = StallLimits(stall_after_s=args.stall_after, queue_wait_limit_s=args.queue_wait_limit)
	findings = [f.as_dict() for f in detect(queue_redis(settings), queue_names(settings), limits)]
	if args.json:
		print_json(findings)
	elif not findings:
		print("No stalled jobs.")
	else:
		print_table(
			["kind", "queue", "job", "method", "worker", "age s", "action"],
			[
				(
					f["kind"],
					f["queue"],
					f["job_id"] or "-",
					f["method"] or "-",
					f["worker"] or "-",
					f["age_s"],
					f["action"],
				)
				for f in findings
			],
		)
	return 1 if findings else 0
