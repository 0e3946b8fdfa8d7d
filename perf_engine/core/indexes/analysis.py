"""One index analysis of a database: every source of evidence, ranked, with a summary.

Workload-backed findings come first (by total time spent), then known composites and
schema candidates by priority and size, then drops (redundant, unused).
"""

from collections.abc import Callable

import pymysql

from perf_engine.core.indexes import catalog, redundant, schema, workload
from perf_engine.core.indexes.recommendation import HIGH, MEDIUM, Recommendation

LARGEST_TABLES = 20
PRIORITY_ORDER = {HIGH: 0, MEDIUM: 1}


def analyze(
	conn: pymysql.Connection,
	database: str,
	metas: list[schema.DocTypeMeta],
	on_progress: Callable[[int, int], None] | None = None,
) -> dict:
	"""Findings and the facts behind them for one database."""
	progress = on_progress or (lambda done, total: None)
	steps = 5
	sizes = catalog.table_sizes(conn, database)
	indexes = catalog.indexes(conn, database)
	rows = {t: s.rows for t, s in sizes.items()}
	progress(1, steps)
	schema_found, small = schema.schema_findings(metas, sizes, indexes)
	known = schema.known_findings(sizes, indexes)
	progress(2, steps)
	from_workload, workload_note, unread = workload.workload_findings(conn, database, sizes, indexes)
	progress(3, steps)
	drops = redundant.redundant_findings(indexes, rows)
	unused, usage_note = redundant.unused_findings(conn, database, indexes, rows)
	progress(4, steps)
	ranked = rank(from_workload, known + schema_found, drops + unused)
	largest = sorted(sizes.values(), key=lambda s: -s.rows)[:LARGEST_TABLES]
	progress(5, steps)
	return {
		"findings": [r.as_dict() for r in ranked],
		"largest_tables": [vars(s) for s in largest],
		"skipped_small_tables": small,
		"unread_statements": unread,
		"notes": [
			workload_note,
			usage_note,
			f"{len(small)} DocType table(s) under 50,000 rows were skipped: not worth an index.",
		],
	}


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
