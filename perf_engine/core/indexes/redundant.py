"""Redundant and unused indexes, judged as pt-duplicate-key-checker judges them.

An index is redundant when another index of the same type on the same table has the same
columns or starts with all of its columns. InnoDB appends the primary key to every
secondary index, so `(a, name)` duplicates `(a)` when `name` is the primary key. PRIMARY
is never dropped, nor a UNIQUE index (it enforces a constraint). Unused indexes come from
performance_schema or MariaDB's userstat, over the window since the server started.
"""

import pymysql

from perf_engine.core.indexes.catalog import Index
from perf_engine.core.indexes.recommendation import DROP, LOW, Recommendation

UNUSED_PS_SQL = """
	SELECT object_name, index_name FROM performance_schema.table_io_waits_summary_by_index_usage
	WHERE object_schema = %s AND index_name IS NOT NULL AND index_name != 'PRIMARY' AND count_star = 0
"""
USED_USERSTAT_SQL = (
	"SELECT table_name, index_name FROM information_schema.INDEX_STATISTICS WHERE table_schema = %s"
)


def effective_columns(index: Index, primary: tuple[str, ...]) -> tuple[str, ...]:
	"""What InnoDB really stores: the index columns, then the primary key columns not in them."""
	return index.columns + tuple(c for c in primary if c not in index.columns)


def drop(
	table: str, index: Index, reason: str, rows: dict[str, int], source: str, evidence: dict | None = None
) -> Recommendation:
	"""A drop recommendation for an existing index; always LOW and never applied automatically."""
	return Recommendation(
		table, index.columns, DROP, LOW, reason, rows.get(table, 0), source, index.name, evidence or {}
	)


def is_prefix(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
	return len(short) < len(long) and long[: len(short)] == short


def redundant_findings(indexes: dict[str, list[Index]], rows: dict[str, int]) -> list[Recommendation]:
	findings = []
	for table, table_indexes in indexes.items():
		primary = next((i.columns for i in table_indexes if i.primary), ())
		for index in table_indexes:
			if index.primary or index.unique:
				continue
			mine = effective_columns(index, primary)
			for other in table_indexes:
				if other is index or other.index_type != index.index_type:
					continue
				theirs = effective_columns(other, primary)
				duplicate = mine == theirs and (other.primary or other.unique or other.name < index.name)
				prefix = mine != theirs and (
					is_prefix(index.columns, other.columns) or is_prefix(mine, theirs)
				)
				if duplicate or prefix:
					reason = f"{'duplicate of' if duplicate else 'left prefix of'} {other.name} ({', '.join(other.columns)})"
					findings.append(drop(table, index, reason, rows, "redundant", {"covered_by": other.name}))
					break
	return findings


def unused_findings(
	conn: pymysql.Connection, schema: str, indexes: dict[str, list[Index]], rows: dict[str, int]
) -> tuple[list[Recommendation], str]:
	"""Indexes with no recorded use, and a sentence on where usage came from and what window it covers."""
	window = uptime_window(conn)
	unused: set[tuple[str, str]] = set()
	source = None
	if variable(conn, "performance_schema") == "ON":
		with conn.cursor() as cur:
			cur.execute(UNUSED_PS_SQL, (schema,))
			unused = {(t, i) for t, i in cur.fetchall()}
		source = "performance_schema"
	elif variable(conn, "userstat") == "ON":
		with conn.cursor() as cur:
			cur.execute(USED_USERSTAT_SQL, (schema,))
			used = {(t, i) for t, i in cur.fetchall()}
		unused = {
			(t, i.name)
			for t, lst in indexes.items()
			for i in lst
			if not i.primary and (t, i.name) not in used
		}
		source = "userstat INDEX_STATISTICS"
	if source is None:
		return [], "Index usage is unknown: enable performance_schema (restart) or SET GLOBAL userstat=1."
	findings = []
	for table, name in sorted(unused):
		index = next((i for i in indexes.get(table, []) if i.name == name), None)
		if index and not index.unique:
			findings.append(drop(table, index, f"no use recorded by {source} {window}", rows, "unused"))
	return findings, f"Usage from {source}, {window}."


def variable(conn: pymysql.Connection, name: str) -> str | None:
	with conn.cursor() as cur:
		cur.execute("SHOW GLOBAL VARIABLES LIKE %s", (name,))
		row = cur.fetchone()
	return row[1] if row else None


def uptime_window(conn: pymysql.Connection) -> str:
	with conn.cursor() as cur:
		cur.execute("SHOW GLOBAL STATUS LIKE 'Uptime'")
		seconds = int(cur.fetchone()[1])
	return f"over the {seconds / 86400:.1f} days since the server started"
