"""`perf-engine queries running|top`: what the site's database runs now (and KILL QUERY), what costs the most."""

import argparse
import time
from collections.abc import Callable
from datetime import datetime

from perf_engine.cli import exit_codes
from perf_engine.cli.output import ProgressBar, print_json, print_table
from perf_engine.core.config import ConnectionSettings
from perf_engine.core.connections import connect_mariadb
from perf_engine.core.errors import InvalidInput
from perf_engine.core.observatory import kill_log, running, top_queries, window
from perf_engine.core.observatory.kill import kill_query
from perf_engine.core.observatory.site import Site
from perf_engine.core.observatory.suggested_index import add_suggestions
from perf_engine.core.settings import stored_settings

STATEMENT_CHARS = 80


def register(subparsers: argparse._SubParsersAction) -> None:
	parser = exit_codes.add_command(
		subparsers, "queries", "the site's running statements and its top queries"
	)
	actions = parser.add_subparsers(dest="action", required=True)
	now = exit_codes.add_command(
		actions,
		"running",
		"the site's statements over the threshold, lock waits and blocking chains; --kill ID stops one",
		findings="a statement over the threshold or a lock wait (with --kill: the statement had finished already)",
	)
	now.add_argument("--database", help="the site's database (default: the site's, from --bench and --site)")
	now.add_argument(
		"--threshold", type=float, help="seconds a statement must have run (default: the site's setting)"
	)
	now.add_argument(
		"--kill", type=int, metavar="THREAD_ID", help="KILL QUERY the statement this thread of the site runs"
	)
	now.add_argument("--yes", action="store_true", help="confirm --kill")
	now.set_defaults(handler=handle_running)
	top = exit_codes.add_command(actions, "top", "the statements of most total time per fingerprint")
	top.add_argument("--database", help="the site's database (default: the site's)")
	top.add_argument(
		"--since", default="hour", help="hour (default), day, week, a span (30m, 6h, 2d) or a date-time"
	)
	top.add_argument("--slow-log", metavar="FILE", help="read this slow query log file (its last 16 MB)")
	top.add_argument("--source", default=top_queries.AUTO, choices=top_queries.SOURCES)
	top.add_argument(
		"--limit", type=int, default=top_queries.DEFAULT_LIMIT, help=f"1-{top_queries.MAX_LIMIT}"
	)
	top.add_argument("--no-index", action="store_true", help="skip the suggested index (no catalog reads)")
	top.set_defaults(handler=handle_top)


def site_of(settings: ConnectionSettings, args: argparse.Namespace) -> Site:
	database = args.database or settings.db_name
	if not database:
		raise InvalidInput("Name the site's database with --database, or a site with --bench and --site")
	return Site(database, settings.db_user)


def handle_running(settings: ConnectionSettings, args: argparse.Namespace) -> int:
	site = site_of(settings, args)
	conn = connect_mariadb(settings, site.database)
	if args.kill is not None:
		return kill(conn, site, args)
	threshold = args.threshold if args.threshold is not None else stored_settings(conn).running_query_seconds
	if threshold <= 0:
		raise InvalidInput(f"--threshold must be above 0 seconds, got {threshold:g}")
	found = running.running(conn, site, threshold)
	if args.json:
		print_json(found)
	else:
		show_running(found)
	return exit_codes.FINDINGS if found["queries"] or found["lock_waits"] else exit_codes.OK


def show_running(found: dict) -> None:
	print(
		f"statements running {found['threshold_s']:g} s or longer ({found['threads']} thread(s) of the site):"
	)
	print_table(
		["thread", "query id", "time s", "rows examined", "state", "statement"],
		[
			(
				q["thread_id"],
				q["query_id"],
				f"{q['time_s']:.1f}",
				q["rows_examined"],
				q["state"],
				short(q["statement"]),
			)
			for q in found["queries"]
		],
	)
	if found["chains"]:
		print("blocking chains:")
	for chain in found["chains"]:
		root = chain["root"]
		print(
			f"  thread {root['thread_id']} ({short(root['doing'])}) blocks {chain['blocked_threads']} thread(s):"
		)
		for waiter in chain["waiting"]:
			print(f"  {'  ' * waiter['depth']}thread {waiter['thread_id']} waits for {waiter['waits_for']}")
	for note in found["notes"]:
		print(f"note: {note}")


def kill(conn, site: Site, args: argparse.Namespace) -> int:
	if not args.yes:
		raise InvalidInput("KILL QUERY needs --yes")
	result = kill_query(conn, site, args.kill)
	logged = kill_log.record(conn, result, datetime.now())
	answer = {**result.as_dict(), "log": logged}
	if args.json:
		print_json(answer)
	else:
		print(
			f"thread {result.thread_id}, query {result.query_id}: {result.message}: {short(result.statement)}"
		)
		if logged is None:
			print(
				"note: not recorded: this database has no Query Kill Log table (perf_engine is not installed on it)"
			)
	return exit_codes.OK if result.killed else exit_codes.FINDINGS


def handle_top(settings: ConnectionSettings, args: argparse.Namespace) -> int:
	database = args.database or settings.db_name
	now = time.time()
	since = window.since_epoch(args.since, now)
	needs_server = not args.slow_log or not args.no_index
	conn = connect_mariadb(settings, database) if needs_server and database else None
	found = top_queries.top_queries(
		conn if not args.slow_log else None,
		database,
		since,
		args.limit,
		args.source,
		slow_log_file=args.slow_log,
		now=now,
		on_progress=None if args.json else slow_log_progress(),
	)
	if conn is not None and not args.no_index:
		add_suggestions(conn, database, found["queries"])
	if args.json:
		print_json(found)
		return exit_codes.OK
	print(
		f"top queries by total time from {found['source'] or 'no source'}: {found['executions']:,} execution(s)"
	)
	print_table(
		["total s", "count", "avg s", "p95 s", "max s", "rows exam/sent", "fingerprint"],
		[
			(
				f"{q['total_time_s']:.3f}",
				q["count"],
				f"{q['avg_time_s']:.4f}",
				"" if q["p95_time_s"] is None else f"{q['p95_time_s']:.4f}",
				f"{q['max_time_s']:.4f}",
				f"{q['rows_examined']}/{q['rows_sent']}" + (" !" if q["rows_flag"] else ""),
				short(q["fingerprint"]),
			)
			for q in found["queries"]
		],
	)
	for q in found["queries"]:
		if q.get("suggested_index"):
			print(f"index for {short(q['fingerprint'], 40)}: {q['suggested_index']['ddl']}")
	for note in found["notes"]:
		print(f"note: {note}")
	return exit_codes.OK


def slow_log_progress() -> Callable[[int, int], None]:
	"""A bar in percent: the slow log's first read in a process takes seconds at 100,000 entries."""
	bar = ProgressBar("reading the slow log (%)")
	return lambda read, tail: bar(read * 100 // max(tail, 1), 100)


def short(text: str, chars: int = STATEMENT_CHARS) -> str:
	text = " ".join((text or "").split())
	return text if len(text) <= chars else text[: chars - 3] + "..."
