"""The list-query guard: is one list query cheap on this table, and if not, what would make it so.

Only tables past the Large volume tier are guarded (smaller ones are cheap to scan). On them a
list query is a problem when it really reads more rows than the Small tier holds: a full table
or index scan that no LIMIT stops early, a filesort of that many rows, no LIMIT over that many
rows (one aggregate row, a COUNT without GROUP BY, needs none), or a deep OFFSET. A page of a
list view is no problem: a walk of the index that gives the ORDER BY (EXPLAIN's `type: index`
with no filesort) or of an unsorted table stops once the LIMIT is met, after the rows EXPLAIN
estimates for it (limit plus offset, more when a filter skips rows on the way). The fixes
named are the index the query's columns call for (the Index Recommendation the analysis stored
for it, when there is one), a limit or keyset streaming, and a narrower field list.
"""

import json
import re
from dataclasses import dataclass, field

import pymysql
import redis

from perf_engine.core.capacity.volume_tiers import above_large, small_bound, tier_for
from perf_engine.core.indexes.catalog import TableSize, covered
from perf_engine.core.indexes.catalog import indexes as table_indexes
from perf_engine.core.indexes.plan import FULL_TABLE, Plan, TableAccess
from perf_engine.core.indexes.sql_text import compact
from perf_engine.core.indexes.workload import Statement, TableFacts, composite

REFUSE, WARN, OFF = "Refuse", "Warn", "Off"
MODES = (REFUSE, WARN, OFF)
# Frappe ends a list query with `limit N offset M`; plain MySQL may say `LIMIT M, N` or `LIMIT N`.
LIMIT_AT_END = re.compile(
	r"\blimit\s+(?P<first>\d+)\s*(?:(?:,\s*(?P<count>\d+))|(?:offset\s+(?P<offset>\d+)))?\s*;?\s*$", re.I
)
# What the guard stopped, kept for the index analysis: the newest EVIDENCE_KEPT statements.
EVIDENCE_KEY = "perf_engine:list_guard:statements"
EVIDENCE_KEPT = 200
EVIDENCE_TTL_S = 30 * 24 * 3600
GUARD_SOURCE = "list guard"
STREAM_FIX = "add a limit, or walk every row with perf_engine.query.stream (keyset batches, no OFFSET)"
INDEX_FIX = "filter on an indexed column and sort by it or by name"
AGGREGATE_FIX = (
	"filter on an indexed column, or show the table's estimated row count instead of counting every row"
)


@dataclass
class Verdict:
	"""What the guard found for one list query on one table."""

	table: str
	rows: int
	tier: str
	guarded: bool
	rows_read: int = 0  # what the optimizer expects the query to read on the table (see `rows_read`)
	problems: list[str] = field(default_factory=list)
	fixes: list[str] = field(default_factory=list)

	@property
	def ok(self) -> bool:
		return not self.problems

	def message(self, refused: bool = True) -> str:
		"""One paragraph naming the table, its tier, what EXPLAIN found and the fix."""
		outcome = "refused" if refused else "allowed (list_guard_mode is Warn), but"
		return (
			f"List query on {self.table} {outcome} by perf_engine's list guard: the table is in the "
			f"{self.tier} tier (~{self.rows:,} rows) and {'; '.join(self.problems)}. "
			f"To make it cheap: {'; '.join(self.fixes)}."
		)


def limit_of(sql: str) -> tuple[int | None, int]:
	"""(row limit or None, offset) of a statement's trailing LIMIT clause."""
	found = LIMIT_AT_END.search(sql[-200:])
	if not found:
		return None, 0
	first = int(found["first"])
	if found["count"] is not None:
		return int(found["count"]), first
	return first, int(found["offset"] or 0)


def suggest_index(conn: pymysql.Connection, schema: str, table: str, sql: str) -> tuple[tuple[str, ...], str]:
	"""The index the query's filters and sort on `table` call for, and the existing index that covers
	it ('' when none does), chosen by the same rule as the workload analysis."""
	# Imported here: sqlglot costs 0.2 s and 14 MB, paid only by a process that explains a query.
	from perf_engine.core.indexes.sql import read

	size = TableSize(table, 0, 0, 0)
	facts = TableFacts(conn, schema, {table: size})
	existing = table_indexes(conn, schema, table).get(table, [])
	for use in read(sql, facts.columns).uses:
		if use.table == table and not use.database:
			columns = composite(use, facts.by_selectivity(table, use.equality, existing))
			index = covered(columns, existing) if columns else None
			return columns, index.name if index else ""
	return (), ""


def rows_read(access: TableAccess, plan: Plan, limit: int | None, offset: int) -> int:
	"""Rows the query reads on the table, as far as EXPLAIN can tell.

	A full scan with a LIMIT and nothing to sort first (no filesort, no temporary table) stops once
	`limit + offset` rows are found: with no filter those are the first rows it reads; with one,
	EXPLAIN's estimate for a walk of the ORDER BY's index is already the rows read until the page is
	full (a table scan's is the whole table). Anything else reads what EXPLAIN says."""
	if not access.full_scan or limit is None or plan.filesort or plan.temporary or access.filtered:
		return access.rows
	return min(access.rows, limit + offset)


def judge(
	table: str,
	table_rows: int,
	plan: Plan,
	sql: str,
	all_fields: bool = False,
	index_fix: str = "",
) -> Verdict:
	"""The guard's verdict on one list query; `index_fix` is the sentence that names the index to add."""
	tier = tier_for(table_rows)[0]
	verdict = Verdict(table, table_rows, tier, above_large(table_rows))
	access = plan.of(table)
	if access is None:
		return verdict
	limit, offset = limit_of(sql)
	verdict.rows_read = rows_read(access, plan, limit, offset)
	if not verdict.guarded:
		return verdict
	many = small_bound()
	scans = access.full_scan and verdict.rows_read > many
	sorts = plan.filesort and access.rows > many
	aggregate = limit is None and one_row(sql)
	unbounded = limit is None and access.rows > many and not aggregate
	if scans:
		kind = "a full table scan" if access.access == FULL_TABLE else "a full index scan"
		key = f", key {access.key}" if access.key else ""
		verdict.problems.append(
			f"EXPLAIN shows {kind} (type {access.access}{key}) that reads ~{verdict.rows_read:,} rows"
		)
	if sorts:
		verdict.problems.append(
			f"EXPLAIN shows a filesort of ~{access.rows:,} rows (no index gives this order)"
		)
	if unbounded:
		verdict.problems.append(f"the query has no limit and may return up to ~{access.rows:,} rows")
	if offset > many:
		verdict.problems.append(f"OFFSET {offset:,} reads and discards that many rows first")
	if verdict.problems:
		verdict.fixes = fixes(scans or sorts, aggregate, unbounded, offset > many, all_fields, index_fix)
	return verdict


def one_row(sql: str) -> bool:
	"""One aggregate row (COUNT, SUM, ... without GROUP BY) needs no limit; unreadable text is not one."""
	# Imported here: sqlglot costs 0.2 s and 14 MB, paid only by a process that judges a query.
	from perf_engine.core.query.unbounded import returns_one_row

	return returns_one_row(sql)


def fixes(
	needs_index: bool, aggregate: bool, unbounded: bool, deep: bool, all_fields: bool, index_fix: str
) -> list[str]:
	"""What would make the query cheap, most effective first; a deep OFFSET alone needs no index."""
	found = []
	if needs_index and index_fix:
		found.append(index_fix)
	elif needs_index and aggregate:
		found.append(AGGREGATE_FIX)
	elif needs_index and not deep:
		found.append(INDEX_FIX)
	if unbounded or deep:
		found.append(STREAM_FIX)
	if all_fields:
		found.append("ask for the fields you use instead of *: each row is read and sorted whole")
	return found


def record_evidence(client: redis.Redis, prefix: str, sql: str, rows_examined: int) -> None:
	"""Keep a stopped query for the index analysis, in one round trip, bounded to the newest few."""
	key = prefix + EVIDENCE_KEY
	with client.pipeline(transaction=False) as pipe:
		pipe.lpush(key, json.dumps({"sql": compact(sql)[0], "rows": rows_examined}))
		pipe.ltrim(key, 0, EVIDENCE_KEPT - 1)
		pipe.expire(key, EVIDENCE_TTL_S)
		pipe.execute()


def evidence(client: redis.Redis, prefix: str) -> list[Statement]:
	"""The kept queries as workload statements, one per distinct SQL with its count (entries that do not
	read are skipped)."""
	grouped: dict[str, Statement] = {}
	for raw in client.lrange(prefix + EVIDENCE_KEY, 0, EVIDENCE_KEPT - 1):
		try:
			entry = json.loads(raw)
			sql, rows = str(entry["sql"]), int(entry["rows"])
		except (ValueError, TypeError, KeyError):
			continue
		statement = grouped.setdefault(sql, Statement(sql, 0, 0.0, 0, GUARD_SOURCE, True))
		statement.calls += 1
		statement.rows_examined += rows
	return list(grouped.values())
