"""`perf-engine queues` and `perf-engine stalls`: RQ queues and stalled jobs from a shell."""

import argparse

from perf_engine.cli import exit_codes
from perf_engine.cli.output import print_json, print_table
from perf_engine.core.config import ConnectionSettings
from perf_engine.core.connections import queue_redis
from perf_engine.core.errors import InvalidInput
from perf_engine.core.jobs.actions import requeue_job
from perf_engine.core.jobs.advice import ADD, NO_WORKER, AdviceLimits, advise_all
from perf_engine.core.jobs.queue_status import queue_status
from perf_engine.core.jobs.stalls import StallLimits, detect
from perf_engine.core.jobs.workers import MIN_HEARTBEAT_GRACE_S


def register(subparsers: argparse._SubParsersAction) -> None:
	queues = exit_codes.add_command(
		subparsers,
		"queues",
		"queued/started/failed counts, oldest job and workers per queue",
		findings="a queue needs workers: none listening, or a backlog or wait past its limit",
	)
	queues.add_argument("--backlog-limit", type=int, default=AdviceLimits.backlog_limit)
	queues.set_defaults(handler=handle_queues)
	stalls = exit_codes.add_command(
		subparsers,
		"stalls",
		"long-running, orphaned, waiting and zombie jobs, and jobs whose worker was lost; --requeue JOB_ID puts one back",
		findings="stalled jobs found (listed)",
	)
	stalls.add_argument("--stall-after", type=float, default=StallLimits.stall_after_s, help="seconds")
	stalls.add_argument(
		"--queue-wait-limit", type=float, default=StallLimits.queue_wait_limit_s, help="seconds"
	)
	stalls.add_argument(
		"--heartbeat-grace",
		type=float,
		default=StallLimits.heartbeat_grace_s,
		help=f"seconds a busy worker may go without a heartbeat before it counts as dead (at least {MIN_HEARTBEAT_GRACE_S})",
	)
	stalls.add_argument(
		"--requeue",
		metavar="JOB_ID",
		help="put a failed, orphaned or lost job back on its queue instead of listing stalls; one that may "
		"still be running (on another host, on an unknown one, or here) is refused (exit 2)",
	)
	stalls.add_argument(
		"--force",
		action="store_true",
		help="with --requeue: requeue a job that may still be running, which may then run twice",
	)
	stalls.set_defaults(handler=handle_stalls)


def handle_queues(settings: ConnectionSettings, args: argparse.Namespace) -> int:
	limits = AdviceLimits(backlog_limit=args.backlog_limit)
	rows = advise_all(queue_status(queue_redis(settings), settings.queue_names), limits)
	needs_workers = any(row["advice"] in (ADD, NO_WORKER) for row in rows)
	if args.json:
		print_json(rows)
		return exit_codes.FINDINGS if needs_workers else exit_codes.OK
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
	return exit_codes.FINDINGS if needs_workers else exit_codes.OK


def handle_stalls(settings: ConnectionSettings, args: argparse.Namespace) -> int:
	"""Exit 1 when anything is stalled, so cron and monitoring can alert on it."""
	if args.requeue:
		return handle_requeue(settings, args)
	if args.force:
		raise InvalidInput("--force only goes with --requeue JOB_ID")
	limits = StallLimits(
		stall_after_s=args.stall_after,
		queue_wait_limit_s=args.queue_wait_limit,
		heartbeat_grace_s=args.heartbeat_grace,
	)
	findings = [f.as_dict() for f in detect(queue_redis(settings), settings.queue_names, limits)]
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
		for f in findings:
			print(f"{f['job_id'] or f['queue']}: {f['detail']}")
	return exit_codes.FINDINGS if findings else exit_codes.OK


def handle_requeue(settings: ConnectionSettings, args: argparse.Namespace) -> int:
	"""Requeue one job through the same refusal as the API: a job that may still be running needs --force."""
	outcome = requeue_job(queue_redis(settings), args.requeue, args.heartbeat_grace, force=args.force)
	if args.json:
		print_json(outcome)
	else:
		print(f"{outcome['job_id']}: {outcome['action']} on {outcome['queue']}")
	return exit_codes.OK
