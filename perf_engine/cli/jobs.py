"""`perf-engine jobs stats`: job statistics per method, failures grouped, queue utilization and wait, and
the workers' own counters, as the Queue Status page's Jobs section shows them.

Samples first (the jobs RQ finished or failed since the previous sample, and the workers' counters:
perf_engine's own keys in the queue Redis), then reads the window: the minutes Redis keeps (two
hours), plus, with --bench and --site, the site's snapshots for a window reaching further back.
Without --site every site's jobs are shown.
"""

import argparse
from datetime import datetime, timezone

import pymysql

from perf_engine.cli import exit_codes
from perf_engine.cli.output import print_json, print_table
from perf_engine.core.config import ConnectionSettings
from perf_engine.core.connections import connect_mariadb, queue_redis
from perf_engine.core.errors import InvalidInput
from perf_engine.core.jobstats import report, sampling, snapshots, verdict, window
from perf_engine.core.jobstats.keys import RETAIN_MINUTES, minute_of

FINDINGS = "a queue needs workers: busy past 80 % over the window, or its p95 queue wait past job_queue_wait"


def register(subparsers: argparse._SubParsersAction) -> None:
	jobs = exit_codes.add_command(subparsers, "jobs", "background job statistics")
	actions = jobs.add_subparsers(dest="jobs_command", required=True, metavar="ACTION")
	stats = exit_codes.add_command(
		actions,
		"stats",
		"per method runs, failures, success rate, run time and queue wait; failures grouped; queue "
		"utilization and wait; the workers' counters",
		findings=FINDINGS,
	)
	stats.add_argument(
		"--since",
		metavar="WHEN",
		help="hour (the default), day, week, a duration (15m, 6h, 2d) or an ISO date-time (this machine's "
		"time zone unless given); at most a week back",
	)
	stats.add_argument("--top", type=int, default=report.MAX_METHODS, help="methods shown before 'other'")
	stats.set_defaults(handler=handle_stats)


def job_stats(
	settings: ConnectionSettings,
	db: pymysql.Connection | None,
	since: str | None = None,
	top: int = report.MAX_METHODS,
) -> dict:
	"""Sample, then the window's statistics: the site's jobs with --site, every site's without; with the
	site's database, its `job_queue_wait` threshold and, for a window past two hours, its snapshots."""
	now = datetime.now(timezone.utc)
	start = window.since_of(since, None, now)
	connection = queue_redis(settings)
	sampling.sample(connection, settings.queue_names)
	stored = []
	if db is not None and minute_of(start.timestamp()) <= minute_of(now.timestamp()) - RETAIN_MINUTES:
		stored = snapshots.stored_spans(db, minute_of(start.timestamp()), now)
	return report.window_report(
		connection,
		settings.queue_names,
		start.timestamp(),
		now.timestamp(),
		site=settings.site,
		stored=stored,
		wait_limit_s=verdict.wait_limit_s(db),
		top=top,
	)


def seconds(value: float | None) -> str:
	return "-" if value is None else f"{value:.3f}"


def percent(value: float | None) -> str:
	return "-" if value is None else f"{value:.0%}"


def handle_stats(settings: ConnectionSettings, args: argparse.Namespace) -> int:
	if args.top < 1:
		raise InvalidInput(f"--top must be 1 or more, got {args.top}")
	db = connect_mariadb(settings) if settings.db_name else None
	found = job_stats(settings, db, args.since, args.top)
	needs_workers = any(row["hint"] for row in found["queues"])
	if args.json:
		print_json(found)
		return exit_codes.FINDINGS if needs_workers else exit_codes.OK
	print(
		f"Jobs that ended from {found['since']} to {found['until']} (covered from {found['covered_from'] or '-'})"
	)
	print_table(
		[
			"method",
			"queues",
			"runs",
			"failures",
			"success",
			"run p50 s",
			"run p95 s",
			"wait p50 s",
			"wait p95 s",
		],
		[
			(
				r["method"],
				",".join(r["queues"]),
				r["runs"],
				r["failures"],
				percent(r["success_rate"]),
				seconds(r["run_p50_s"]),
				seconds(r["run_p95_s"]),
				seconds(r["wait_p50_s"]),
				seconds(r["wait_p95_s"]),
			)
			for r in found["methods"]
		]
		or [("(no job ended)", "", 0, 0, "-", "-", "-", "-", "-")],
	)
	if found["failures"]:
		print()
		print_table(
			["method", "exception", "count", "last seen", "message"],
			[
				(f["method"], f["exception"], f["count"], f["last_seen"], f["message"])
				for f in found["failures"]
			],
		)
	print()
	print_table(
		["queue", "utilization", "now", "workers", "runs", "wait p95 s"],
		[
			(
				q["queue"],
				percent(q["utilization"]),
				percent(q["utilization_now"]),
				q["workers"],
				q["runs"],
				seconds(q["wait_p95_s"]),
			)
			for q in found["queues"]
		],
	)
	print()
	print_table(
		["worker", "queues", "successful", "failed", "working s"],
		[
			(
				w["name"],
				",".join(w["queues"]),
				w["successful_jobs"],
				w["failed_jobs"],
				f"{w['working_time_s']:.3f}",
			)
			for w in found["workers"]
		],
	)
	for row in found["queues"]:
		if row["hint"]:
			print(row["hint"])
	for failure in found["failures"]:
		if failure["advice"]:
			print(f"{failure['method']} {failure['exception']}: {failure['advice']}")
	return exit_codes.FINDINGS if needs_workers else exit_codes.OK
