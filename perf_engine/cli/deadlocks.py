"""`perf-engine deadlocks`: the site's stored deadlocks and the server's latest one, as MariaDB reported it."""

import argparse

from perf_engine.cli import exit_codes
from perf_engine.cli.output import print_json, print_table
from perf_engine.cli.queries import short, site_of
from perf_engine.core.config import ConnectionSettings
from perf_engine.core.connections import connect_mariadb
from perf_engine.core.observatory import deadlock_history


def register(subparsers: argparse._SubParsersAction) -> None:
	parser = exit_codes.add_command(
		subparsers,
		"deadlocks",
		"the site's recorded deadlocks and the server's latest one (needs PROCESS for the latter)",
		findings="the server's latest deadlock is the site's",
	)
	parser.add_argument("--database", help="the site's database (default: the site's)")
	parser.add_argument(
		"--limit", type=int, default=20, help=f"stored deadlocks to list, 1-{deadlock_history.MAX_LISTED}"
	)
	parser.set_defaults(handler=handle)


def handle(settings: ConnectionSettings, args: argparse.Namespace) -> int:
	site = site_of(settings, args)
	conn = connect_mariadb(settings, site.database)
	history = deadlock_history.stored(conn, max(args.limit, 1))
	latest, note = deadlock_history.latest(conn, site)
	if args.json:
		print_json(
			{"latest": latest and latest.as_dict(), "stored": history, "notes": [note] if note else []}
		)
		return exit_codes.FINDINGS if latest else exit_codes.OK
	if latest:
		print(f"latest deadlock, detected {latest.detected_at}:")
		for side in latest.transactions:
			lock = side.waiting_for
			waited = f" waited for {lock.mode} on {lock.table} index {lock.index}" if lock else ""
			rolled = " (rolled back)" if side.number == latest.victim else ""
			print(f"  ({side.number}) thread {side.thread_id}{rolled}{waited}: {short(side.statement)}")
		if latest.problems:
			print(f"  not read: {'; '.join(latest.problems)}")
	if note:
		print(f"note: {note}")
	if history is None:
		print(
			"note: no stored deadlocks: this database has no Deadlock table (perf_engine is not installed on it)"
		)
	elif history:
		print_table(
			["detected", "tables", "indexes", "rolled back thread", "statement (1)"],
			[
				(
					d["detected_on"],
					d["tables"],
					d["indexes"],
					d["victim_thread"],
					short(d["statement_1"] or "", 60),
				)
				for d in history
			],
		)
	return exit_codes.FINDINGS if latest else exit_codes.OK
