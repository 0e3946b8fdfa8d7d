"""What the database holds, from information_schema estimates only (never COUNT(*)).

Measures: estimated rows, data and index size per table; every index with its columns in
order, uniqueness and type; the columns of a table.
"""

from dataclasses import dataclass

import pymysql

TABLES_SQL = """
	SELECT table_name, COALESCE(table_rows, 0), COALESCE(data_length, 0), COALESCE(index_length, 0)
	FROM information_schema.TABLES WHERE table_schema = %s AND table_type = 'BASE TABLE'
"""
INDEXES_SQL = """
	SELECT table_name, index_name, column_name, non_unique, index_type, seq_in_index, cardinality
	FROM information_schema.STATISTICS WHERE table_schema = %s ORDER BY table_name, index_name, seq_in_index
"""
COLUMNS_SQL = "SELECT column_name FROM information_schema.COLUMNS WHERE table_schema = %s AND table_name = %s"


@dataclass(frozen=True)
class Index:
	name: str
	columns: tuple[str, ...]
	unique: bool
	index_type: str
	cardinality: tuple[int | None, ...] = ()

	@property
	def primary(self) -> bool:
		return self.name == "PRIMARY"


@dataclass(frozen=True)
class TableSize:
	table: str
	rows: int
	data_bytes: int
	index_bytes: int


def table_sizes(conn: pymysql.Connection, schema: str) -> dict[str, TableSize]:
	with conn.cursor() as cur:
		cur.execute(TABLES_SQL, (schema,))
		return {row[0]: TableSize(row[0], int(row[1]), int(row[2]), int(row[3])) for row in cur.fetchall()}


def indexes(conn: pymysql.Connection, schema: str) -> dict[str, list[Index]]:
	"""Every index per table, columns in index order."""
	with conn.cursor() as cur:
		cur.execute(INDEXES_SQL, (schema,))
		rows = cur.fetchall()
	grouped: dict[tuple[str, str], list] = {}
	for table, name, column, non_unique, index_type, _, cardinality in rows:
		grouped.setdefault((table, name), []).append((column, non_unique, index_type, cardinality))
	result: dict[str, list[Index]] = {}
	for (table, name), parts in grouped.items():
		index = Index(
			name=name,
			columns=tuple(p[0] for p in parts),
			unique=not parts[0][1],
			index_type=parts[0][2],
			cardinality=tuple(p[3] for p in parts),
		)
		result.setdefault(table, []).append(index)
	return result


def columns(conn: pymysql.Connection, schema: str, table: str) -> set[str]:
	with conn.cursor() as cur:
		cur.execute(COLUMNS_SQL, (schema, table))
		return {row[0] for row in cur.fetchall()}


def covered(columns_wanted: tuple[str, ...], table_indexes: list[Index]) -> Index | None:
	"""The index whose leading columns are exactly `columns_wanted`, if one exists."""
	size = len(columns_wanted)
	lowered = tuple(c.lower() for c in columns_wanted)
	for index in table_indexes:
		if tuple(c.lower() for c in index.columns[:size]) == lowered:
			return index
	return None
