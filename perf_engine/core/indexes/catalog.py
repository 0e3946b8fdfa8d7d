"""What the database holds, from information_schema estimates only (never COUNT(*)).

Measures: estimated rows, data and index size and engine per table; every index with its
parts in order (column, prefix length, direction), uniqueness, type and whether it is IGNORED
(MariaDB 10.6+: the optimizer uses it for no query, yet writes maintain it and InnoDB still
checks uniqueness and foreign keys through it); foreign keys with their columns on both
sides; the columns of a table.
"""

from dataclasses import dataclass

import pymysql

TABLES_SQL = """
	SELECT table_name, COALESCE(table_rows, 0), COALESCE(data_length, 0), COALESCE(index_length, 0),
		COALESCE(engine, '')
	FROM information_schema.TABLES WHERE table_schema = %s AND table_type = 'BASE TABLE'
"""
INDEXES_SQL = """
	SELECT table_name, index_name, column_name, non_unique, index_type, cardinality, sub_part, collation,
		ignored = 'YES'
	FROM information_schema.STATISTICS WHERE table_schema = %s {only_table}
	ORDER BY table_name, index_name, seq_in_index
"""
# KEY_COLUMN_USAGE opens every table of the schema; InnoDB's own foreign key list reads two small
# system tables (a few ms less at 500 tables) but needs the PROCESS privilege.
FOREIGN_KEYS_SQL = """
	SELECT constraint_name, table_name, column_name, referenced_table_name, referenced_column_name
	FROM information_schema.KEY_COLUMN_USAGE
	WHERE table_schema = %s AND referenced_table_schema = %s AND referenced_table_name IS NOT NULL
	ORDER BY table_name, constraint_name, ordinal_position
"""
# InnoDB names tables `db/table` and keys `db/constraint`, the db and table in the server's file-name
# encoding (`@0020` for a space, `@0p` for an e-acute): the server decodes it (CONVERT USING filename).
# The constraint's own name after the first `/` is stored as written, and may hold a `/` itself.
INNODB_FOREIGN_KEYS_SQL = """
	SELECT SUBSTRING(f.id, LOCATE('/', f.id) + 1),
		CONVERT(CONVERT(CONVERT(SUBSTRING_INDEX(f.for_name, '/', -1) USING binary) USING filename) USING utf8mb4),
		c.for_col_name,
		CONVERT(CONVERT(CONVERT(SUBSTRING_INDEX(f.ref_name, '/', -1) USING binary) USING filename) USING utf8mb4),
		c.ref_col_name
	FROM information_schema.INNODB_SYS_FOREIGN f
	JOIN information_schema.INNODB_SYS_FOREIGN_COLS c ON c.id = f.id
	WHERE SUBSTRING_INDEX(f.for_name, '/', 1) = CONVERT(CONVERT(%s USING filename) USING binary)
		AND SUBSTRING_INDEX(f.ref_name, '/', 1) = CONVERT(CONVERT(%s USING filename) USING binary)
	ORDER BY f.for_name, f.id, c.pos
"""
# No PROCESS privilege, or a server without InnoDB's system tables: KEY_COLUMN_USAGE answers instead.
INNODB_LIST_UNREADABLE = {1227, 1109, 1044, 1142}
# A table ALTER ... ALGORITHM=COPY is building; KEY_COLUMN_USAGE never lists it.
TEMPORARY_TABLE_PREFIX = "#sql"
COLUMNS_SQL = "SELECT column_name FROM information_schema.COLUMNS WHERE table_schema = %s AND table_name = %s"
INNODB = "InnoDB"
BTREE, FULLTEXT, SPATIAL = "BTREE", "FULLTEXT", "SPATIAL"


@dataclass(frozen=True)
class Part:
	"""One column of an index: `name(10)` has length 10, a whole column None; DESC or not."""

	column: str
	length: int | None = None
	descending: bool = False

	@property
	def key(self) -> tuple[str, int | None, bool]:
		"""What makes two parts the same part (column names compare case-insensitively)."""
		return (self.column.lower(), self.length, self.descending)

	def serves(self, other: "Part") -> bool:
		"""This part can do what `other` does: same column and direction, at least as long."""
		return (
			self.column.lower() == other.column.lower()
			and self.descending == other.descending
			and (self.length is None or (other.length is not None and other.length <= self.length))
		)

	def reversed(self) -> "Part":
		"""The same part read backwards: an ascending part reads as descending and the reverse."""
		return Part(self.column, self.length, not self.descending)

	def enforces(self, other: "Part") -> bool:
		"""A unique key on this part makes `other` unique too: same column, at most as long."""
		return self.column.lower() == other.column.lower() and (
			other.length is None or (self.length is not None and self.length <= other.length)
		)

	def __str__(self) -> str:
		return (
			self.column + (f"({self.length})" if self.length else "") + (" DESC" if self.descending else "")
		)


@dataclass(frozen=True)
class Index:
	name: str
	columns: tuple[str, ...]
	unique: bool
	index_type: str
	cardinality: tuple[int | None, ...] = ()
	lengths: tuple[int | None, ...] = ()
	descending: tuple[bool, ...] = ()
	ignored: bool = False  # IGNORED: no query uses it, though writes and constraints still do

	@property
	def primary(self) -> bool:
		return self.name == "PRIMARY"

	@property
	def parts(self) -> tuple[Part, ...]:
		lengths = self.lengths or (None,) * len(self.columns)
		descending = self.descending or (False,) * len(self.columns)
		return tuple(Part(c, n, d) for c, n, d in zip(self.columns, lengths, descending, strict=True))

	@property
	def whole_columns(self) -> bool:
		"""Every part is a whole column: what a foreign key or a plain lookup can rely on."""
		return all(p.length is None for p in self.parts)

	def describe(self) -> str:
		return f"{self.name} ({', '.join(map(str, self.parts))})"


@dataclass(frozen=True)
class TableSize:
	table: str
	rows: int
	data_bytes: int
	index_bytes: int
	engine: str = INNODB


@dataclass(frozen=True)
class ForeignKey:
	"""A foreign key of `table`; InnoDB needs an index led by its columns on both tables."""

	name: str
	table: str
	columns: tuple[str, ...]
	referenced_table: str
	referenced_columns: tuple[str, ...]

	def columns_on(self, table: str) -> list[tuple[str, ...]]:
		"""The column lists this key needs indexed on `table` (both, for a self-reference)."""
		needed = []
		if table == self.table:
			needed.append(self.columns)
		if table == self.referenced_table:
			needed.append(self.referenced_columns)
		return needed


def table_sizes(conn: pymysql.Connection, schema: str) -> dict[str, TableSize]:
	with conn.cursor() as cur:
		cur.execute(TABLES_SQL, (schema,))
		return {
			row[0]: TableSize(row[0], int(row[1]), int(row[2]), int(row[3]), row[4]) for row in cur.fetchall()
		}


def indexes(conn: pymysql.Connection, schema: str, table: str | None = None) -> dict[str, list[Index]]:
	"""Every index per table (or of one table), parts in index order."""
	with conn.cursor() as cur:
		if table is None:
			cur.execute(INDEXES_SQL.format(only_table=""), (schema,))
		else:
			cur.execute(INDEXES_SQL.format(only_table="AND table_name = %s"), (schema, table))
		rows = cur.fetchall()
	grouped: dict[tuple[str, str], list] = {}
	# Each part: column, non_unique, index_type, cardinality, sub_part, collation, ignored.
	for table_name, name, *part in rows:
		grouped.setdefault((table_name, name), []).append(part)
	result: dict[str, list[Index]] = {}
	for (table_name, name), parts in grouped.items():
		index = Index(
			name=name,
			columns=tuple(p[0] for p in parts),
			unique=not parts[0][1],
			index_type=parts[0][2],
			cardinality=tuple(p[3] for p in parts),
			lengths=tuple(int(p[4]) if p[4] else None for p in parts),
			descending=tuple(p[5] == "D" for p in parts),
			ignored=bool(parts[0][6]),
		)
		result.setdefault(table_name, []).append(index)
	return result


def foreign_keys(conn: pymysql.Connection, schema: str, table: str | None = None) -> list[ForeignKey]:
	"""Foreign keys inside this schema, by table and name; with `table`, those on it or referencing it."""
	try:
		rows = foreign_key_rows(conn, INNODB_FOREIGN_KEYS_SQL, schema)
	except pymysql.MySQLError as exc:
		if exc.args[0] not in INNODB_LIST_UNREADABLE:
			raise
		rows = foreign_key_rows(conn, FOREIGN_KEYS_SQL, schema)
	keys = grouped_foreign_keys(rows)
	if table is None:
		return keys
	return [k for k in keys if table.lower() in (k.table.lower(), k.referenced_table.lower())]


def foreign_key_rows(conn: pymysql.Connection, sql: str, schema: str) -> tuple:
	"""(name, table, column, referenced table, referenced column), each key's columns in order."""
	with conn.cursor() as cur:
		cur.execute(sql, (schema, schema))
		return cur.fetchall()


def grouped_foreign_keys(rows: tuple) -> list[ForeignKey]:
	"""One ForeignKey per table and constraint, sorted so both sources give the same list."""
	grouped: dict[tuple[str, str], list] = {}
	for name, table_name, column, referenced_table, referenced_column in rows:
		if not table_name.startswith(TEMPORARY_TABLE_PREFIX):
			grouped.setdefault((table_name, name), []).append((column, referenced_table, referenced_column))
	return [
		ForeignKey(name, table_name, tuple(p[0] for p in parts), parts[0][1], tuple(p[2] for p in parts))
		for (table_name, name), parts in sorted(grouped.items())
	]


def columns(conn: pymysql.Connection, schema: str, table: str) -> set[str]:
	with conn.cursor() as cur:
		cur.execute(COLUMNS_SQL, (schema, table))
		return {row[0] for row in cur.fetchall()}


def led_by(columns_wanted: tuple[str, ...], table_indexes: list[Index]) -> Index | None:
	"""The B-tree index whose leading whole columns are exactly `columns_wanted`, IGNORED or not.

	This is what InnoDB needs for a foreign key (an IGNORED index still serves one). FULLTEXT
	and SPATIAL indexes answer no lookup by left prefix, and a prefix part (`name(10)`)
	narrows the search without answering it: neither leads. Direction does not matter."""
	wanted = tuple(c.lower() for c in columns_wanted)
	for index in table_indexes:
		leading = index.parts[: len(wanted)]
		if (
			index.index_type == BTREE
			and tuple(p.column.lower() for p in leading) == wanted
			and all(p.length is None for p in leading)
		):
			return index
	return None


def covered(columns_wanted: tuple[str, ...], table_indexes: list[Index]) -> Index | None:
	"""The index a lookup on `columns_wanted` can use, if one exists: led by them and not IGNORED."""
	return led_by(columns_wanted, [i for i in table_indexes if not i.ignored])
