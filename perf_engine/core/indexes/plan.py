"""How MariaDB would run one SELECT, read from plain EXPLAIN (which never executes the query).

Measures, per table the plan reads: the access type (ALL is a full table scan, `index` a full
index scan), the index used, whether rows are sorted in a filesort or a temporary table, and
the optimizer's row estimate; for the whole plan, the rows it expects to examine (the product
of the estimates of the tables joined in one SELECT, summed over SELECTs).
"""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

import pymysql

logger = logging.getLogger(__name__)

FULL_TABLE, FULL_INDEX = "ALL", "index"
FILESORT, TEMPORARY, WHERE = "Using filesort", "Using temporary", "Using where"
PLAN_COLUMNS = ("id", "table", "type", "key", "rows", "Extra")


@dataclass(frozen=True)
class TableAccess:
	"""One row of EXPLAIN: how one table is read."""

	table: str
	access: str
	key: str | None
	rows: int
	filesort: bool
	temporary: bool
	filtered: bool  # a WHERE condition is checked on the rows read
	select_id: int = 1

	@property
	def full_scan(self) -> bool:
		"""Every row (ALL) or every index entry (`index`) is read, unless a LIMIT stops it early."""
		return self.access in (FULL_TABLE, FULL_INDEX)

	def as_dict(self) -> dict:
		return {**asdict(self), "full_scan": self.full_scan}


@dataclass(frozen=True)
class Plan:
	accesses: tuple[TableAccess, ...]

	def of(self, table: str) -> TableAccess | None:
		"""The first access to `table` (the outer query's, when a subquery reads it too)."""
		return next((a for a in self.accesses if a.table == table), None)

	@property
	def filesort(self) -> bool:
		return any(a.filesort for a in self.accesses)

	@property
	def temporary(self) -> bool:
		return any(a.temporary for a in self.accesses)

	@property
	def rows_examined(self) -> int:
		"""Rows the optimizer expects to look at: joined tables multiply, separate SELECTs add up."""
		by_select: dict[int, int] = {}
		for access in self.accesses:
			by_select[access.select_id] = by_select.get(access.select_id, 1) * max(access.rows, 1)
		return sum(by_select.values())


def explain(conn: pymysql.Connection, sql: str) -> list[dict]:
	"""Plain EXPLAIN of one SELECT; never ANALYZE, which would run it."""
	if not sql.lstrip().lower().startswith(("select", "(select")):
		raise ValueError("only a SELECT is explained")
	with conn.cursor(pymysql.cursors.DictCursor) as cur:
		cur.execute("EXPLAIN " + sql)
		return [{k: v for k, v in row.items() if k in PLAN_COLUMNS} for row in cur.fetchall()]


def read_plan(rows: Iterable[Mapping]) -> Plan:
	"""The plan in tabular EXPLAIN rows; rows without a table (No tables used, Impossible WHERE) are skipped."""
	accesses = []
	for row in rows:
		if not isinstance(row, Mapping) or not row.get("table"):
			continue
		extra = str(row.get("Extra") or "")
		accesses.append(
			TableAccess(
				table=str(row["table"]),
				access=str(row.get("type") or ""),
				key=str(row["key"]) if row.get("key") else None,
				rows=whole(row.get("rows")),
				filesort=FILESORT in extra,
				temporary=TEMPORARY in extra,
				filtered=WHERE in extra,
				select_id=whole(row.get("id"), default=1),
			)
		)
	return Plan(tuple(accesses))


def whole(value, default: int = 0) -> int:
	"""EXPLAIN's numbers arrive as int, Decimal, text or NULL; anything unreadable is the default."""
	try:
		return max(int(value), 0)
	except (TypeError, ValueError):
		return default
