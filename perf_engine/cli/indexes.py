"""`perf-engine indexes analyze|apply`: index findings for a site's database, and online DDL."""

import argparse

from perf_engine.cli import exit_codes
from perf_engine.cli.output import ProgressBar, print_json, print_table
from perf_engine.core.config import ConnectionSettings
from perf_engine.core.connections import connect_mariadb
from perf_engine.core.errors import InvalidInput
from perf_engine.core.indexes import apply as online
from perf_engine.core.indexes.analysis import analyze, owners_by_table
from perf_engine.core.indexes.catalog import indexes
from perf_engine.core.indexes.meta import metas_from_database
from perf_engine.core.indexes.recommendation import ADD, DROP, index_name


def register(subparsers: argparse._SubParsersAction) -> None:
	parser = exit_codes.add_command(subparsers, "indexes", "index analysis and online index changes")
	actions = parser.add_subparsers(dest="action", required=True)
	analyse = exit_codes.add_command(actions, "analyze", "find indexes to add, redundant and unused ones")
	analyse.add_argument("--database", help="database to analyse (default: the site's)")
	analyse.set_defaults(handler=handle_analyze)
	change = exit_codes.add_command(
		actions,
		"apply",
		"add (or --drop) one index online",
		findings="the change was not applied (lock waits past the retries, or the server refused it)",
	)
	change.add_argument("--database")
	change.add_argument("--table", required=True)
	change.add_argument("--columns", required=True, help="comma-separated, in index order")
	change.add_argument("--index-name")
	change.add_argument("--drop", action="store_true", help="drop the named index instead (needs --yes)")
	change.add_argument("--yes", action="store_true", help="confirm a drop")
	change.add_argument(
		"--lock-wait-timeout",
		type=int,
		default=online.LOCK_WAIT_TIMEOUT_S,
		help="seconds one attempt may wait for the table, {}-{}".format(*online.LOCK_WAIT_RANGE_S),
	)
	change.add_argument(
		"--retries",
		type=int,
		default=online.RETRIES,
		help="attempts after the first, {}-{}".format(*online.RETRIES_RANGE),
	)
	change.set_defaults(handler=handle_apply)


def database_of(settings: ConnectionSettings, args: argparse.Namespace) -> str:
	database = args.database or settings.db_name
	if not database:
		raise InvalidInput("Name a database with --database, or a site with --bench and --site")
	return database


def handle_analyze(settings: ConnectionSettings, args: argparse.Namespace) -> int:
	database = database_of(settings, args)
	conn = connect_mariadb(settings, database)
	metas = metas_from_database(conn) if has_doctypes(conn) else []
	result = analyze(conn, database, metas, on_progress=None if args.json else ProgressBar("analysis"))
	if args.json:
		print_json(result)
		return exit_codes.OK
	print_table(
		["priority", "kind", "table", "columns", "source", "reason"],
		[
			(f["priority"], f["kind"], f["table"], ", ".join(f["columns"]), f["source"], reason_of(f))
			for f in result["findings"]
		],
	)
	for note in result["notes"]:
		print(note)
	return exit_codes.OK


def reason_of(finding: dict) -> str:
	"""The reason, why a finding has no one-click action (owned by meta, or for a person to run), and
	how applying it locks the table when it cannot run online."""
	return (
		finding["reason"]
		+ (f" -- not applied from here: {finding['blocked_reason']}" if finding["blocked_reason"] else "")
		+ (f" -- {finding['lock_note']}" if finding["lock_note"] else "")
	)


def has_doctypes(conn) -> bool:
	with conn.cursor() as cur:
		cur.execute(
			"SELECT COUNT(*) FROM information_schema.TABLES WHERE table_schema = DATABASE() AND table_name = 'tabDocType'"
		)
		return bool(cur.fetchone()[0])


def handle_apply(settings: ConnectionSettings, args: argparse.Namespace) -> int:
	if args.drop and not args.yes:
		raise InvalidInput("Dropping an index needs --yes")
	limits = online.Limits(args.lock_wait_timeout, args.retries)
	database = database_of(settings, args)
	columns = tuple(c.strip() for c in args.columns.split(",") if c.strip())
	conn = connect_mariadb(settings, database)
	result = online.apply(
		conn,
		database,
		args.table,
		columns,
		args.index_name or index_name(columns),
		kind=DROP if args.drop else ADD,
		limits=limits,
		owners=owners_of(conn, database, args.table),
		on_progress=None if args.json else ProgressBar("attempt"),
	)
	print_json(result.as_dict()) if args.json else print(
		f"{result.status} in {result.duration_s} s: {result.message}"
	)
	return exit_codes.OK if result.status == "Applied" else exit_codes.FINDINGS


def owners_of(conn, database: str, table: str) -> dict:
	"""Indexes of `table` that a Frappe site's DocType meta owns (none outside a Frappe database)."""
	if not has_doctypes(conn):
		return {}
	metas = [m for m in metas_from_database(conn) if m.table == table]
	return owners_by_table(metas, indexes(conn, database, table)).get(table, {})
