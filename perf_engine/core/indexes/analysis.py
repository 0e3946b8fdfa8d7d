"""One index analysis of a database: every source of evidence, ranked, with a summary.

Workload-backed findings come first (by total time spent), then known composites and
schema candidates by priority and size, then drops (redundant, IGNORED, unused). Drops of
indexes Frappe's meta owns are marked with their owner and what would have to change in meta.
"""

from collections.abc import Callable, Container, Sequence

import pymysql

from perf_engine.core.indexes import catalog, managed, redundant, schema, server_variables, workload
from perf_engine.core.indexes.recommendation import HIGH, MEDIUM, Recommendation

LARGEST_TABLES = 20
PRIORITY_ORDER = {HIGH: 0, MEDIUM: 1}


def analyze(
	conn: pymysql.Connection,
	database: str,
	metas: list[schema.DocTypeMeta],
	on_progress: Callable[[int, int], None] | None = None,
	guarded: Sequence[workload.Statement] = (),
) -> dict:
	"""Findings and the facts behind them for one database; `guarded` are the list guard's statements."""
	progress = on_progress or (lambda done, total: None)
	steps = 5
	sizes = catalog.table_sizes(conn, database)
	indexes = catalog.indexes(conn, database)
	progress(1, steps)
	schema_found, small = schema.schema_findings(metas, sizes, indexes)
	known = schema.known_findings(sizes, indexes)
	progress(2, steps)
	variables = server_variables.read(conn)
	from_workload, workload_note, unread = workload.workload_findings(
		conn, database, sizes, indexes, guarded, variables
	)
	progress(3, steps)
	drops, usage_note = drop_findings(conn, database, metas, sizes, indexes, variables)
	progress(4, steps)
	ranked = rank(from_workload, known + schema_found, drops)
	largest = sorted(sizes.values(), key=lambda s: -s.rows)[:LARGEST_TABLES]
	progress(5, steps)
	return {
		"findings": [r.as_dict() for r in ranked],
		"largest_tables": [vars(s) for s in largest],
		"skipped_small_tables": small,
		"unread_statements": unread,
		"notes": [
			note
			for note in (
				workload_note,
				usage_note,
				redundant.ignored_note(indexes),
				f"{len(small)} DocType table(s) under 50,000 rows were skipped: not worth an index.",
			)
			if note
		],
	}


def drop_findings(
	conn: pymysql.Connection,
	database: str,
	metas: list[schema.DocTypeMeta],
	sizes: dict[str, catalog.TableSize],
	indexes: dict[str, list[catalog.Index]],
	variables: dict[str, str] | None = None,
) -> tuple[list[Recommendation], str]:
	"""Redundant and IGNORED indexes, duplicate foreign keys, then unused indexes; those meta owns carry their owner."""
	keys = catalog.foreign_keys(conn, database)
	# One index alone is never redundant: only tables with several need their owners to rank them.
	owners = owners_by_table(metas, indexes, {t for t, found in indexes.items() if len(found) > 1})
	drops = redundant.redundant_findings(indexes, sizes, keys, owners)
	unused, usage_note = redundant.unused_findings(conn, database, indexes, sizes, keys, variables)
	owners |= owners_by_table(metas, indexes, {f.table for f in drops + unused} - owners.keys())
	for finding in drops + unused:
		owner = owners.get(finding.table, {}).get(finding.index_name)
		if owner and not finding.foreign_key:
			finding.managed_by = owner.owner
			finding.blocked_reason = f"Frappe manages this index ({owner.owner}): to drop it, {owner.change}."
	return drops + unused, usage_note


def owners_by_table(
	metas: list[schema.DocTypeMeta],
	indexes: dict[str, list[catalog.Index]],
	tables: Container[str] | None = None,
) -> dict[str, dict[str, managed.Owner]]:
	"""Table -> index name -> the meta that owns it; only for `tables` when given."""
	return {
		meta.table: managed.owners(meta, indexes.get(meta.table, []))
		for meta in metas
		if tables is None or meta.table in tables
	}


def current_drops(
	conn: pymysql.Connection, database: str, table: str, metas: list[schema.DocTypeMeta]
) -> dict[str, Recommendation]:
	"""The drops an analysis would propose on one table now, by index name."""
	sizes = catalog.table_sizes(conn, database)
	indexes = catalog.indexes(conn, database, table)
	drops, _ = drop_findings(conn, database, metas, sizes, indexes)
	return {d.index_name: d for d in drops if d.table == table and not d.foreign_key}


def rank(
	from_workload: list[Recommendation], additions: list[Recommendation], drops: list[Recommendation]
) -> list[Recommendation]:
	"""Workload first by time, then additions by priority and rows, then drops; each key once."""
	ordered = (
		from_workload + sorted(additions, key=lambda r: (PRIORITY_ORDER.get(r.priority, 2), -r.rows)) + drops
	)
	seen, unique = set(), []
	for recommendation in ordered:
		if recommendation.key not in seen:
			seen.add(recommendation.key)
			unique.append(recommendation)
	return unique
