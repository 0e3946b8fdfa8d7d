"""Redundant and unused indexes, judged at least as carefully as pt-duplicate-key-checker.

An index is redundant when another index of the same type serves every lookup it serves:
- B-tree: its parts are a left prefix of the other's, part by part the same column and
  direction with a prefix length no longer than the other's (`name(10)` is served by
  `name`, never the reverse); on InnoDB only, the primary key columns every secondary
  index stores count too, so `(a, name)` duplicates `(a)` when `name` is the primary key;
- FULLTEXT: only another FULLTEXT on the same set of columns, in any order (a FULLTEXT
  index answers MATCH on exactly its columns, never on a left prefix);
- SPATIAL and HASH: only an identical one.
Of identical indexes one is kept (PRIMARY, then UNIQUE, then the one Frappe's meta owns,
then the fewest declared columns, then the first name) and every other is reported, each
against an index that stays. Nothing `constraints.refusal` protects is reported: a UNIQUE
index only while another key enforces it. Duplicate foreign keys are reported too.
Unused indexes come from performance_schema or MariaDB's userstat, over the window since
the server started.
"""

from collections.abc import Container

import pymysql

from perf_engine.core.indexes import constraints, server_variables
from perf_engine.core.indexes.catalog import BTREE, FULLTEXT, INNODB, ForeignKey, Index, Part, TableSize
from perf_engine.core.indexes.recommendation import DROP, LOW, Recommendation

UNUSED_PS_SQL = """
	SELECT object_name, index_name FROM performance_schema.table_io_waits_summary_by_index_usage
	WHERE object_schema = %s AND index_name IS NOT NULL AND index_name != 'PRIMARY' AND count_star = 0
"""
USED_USERSTAT_SQL = (
	"SELECT table_name, index_name FROM information_schema.INDEX_STATISTICS WHERE table_schema = %s"
)
DUPLICATE_FOREIGN_KEY = "duplicate foreign key"


def stored_parts(index: Index, primary: Index | None) -> tuple[Part, ...]:
	"""What InnoDB stores in a secondary index: its parts, then the primary key's other columns."""
	if primary is None or index.primary:
		return index.parts
	own = {c.lower() for c in index.columns}
	return index.parts + tuple(p for p in primary.parts if p.column.lower() not in own)


def is_left_prefix(short: tuple[Part, ...], long: tuple[Part, ...]) -> bool:
	return len(short) <= len(long) and all(mine.serves(part) for part, mine in zip(short, long, strict=False))


def served_by(index: Index, other: Index, primary: Index | None) -> bool:
	"""`other` answers every lookup `index` answers (`primary` given only for InnoDB tables)."""
	if index.index_type != other.index_type:
		return False
	if index.index_type == FULLTEXT:
		return {c.lower() for c in index.columns} == {c.lower() for c in other.columns}
	if index.index_type != BTREE:
		return [p.key for p in index.parts] == [p.key for p in other.parts]
	return is_left_prefix(index.parts, other.parts) or (
		primary is not None and is_left_prefix(stored_parts(index, primary), stored_parts(other, primary))
	)


def primary_of(table_indexes: list[Index], innodb: bool) -> Index | None:
	"""The primary key whose columns every secondary index stores: InnoDB only."""
	return next((i for i in table_indexes if i.primary), None) if innodb else None


def by_preference(table_indexes: list[Index], managed: Container[str]) -> list[Index]:
	"""Which of identical indexes stays, first first: PRIMARY, UNIQUE, owned by meta, narrowest, by name."""
	return sorted(
		table_indexes,
		key=lambda i: (not i.primary, not i.unique, i.name not in managed, len(i.columns), i.name),
	)


def drop(
	table: str, index: Index, reason: str, rows: dict[str, int], source: str, evidence: dict | None = None
) -> Recommendation:
	"""A drop recommendation for an existing index; always LOW and never applied automatically."""
	return Recommendation(
		table, index.columns, DROP, LOW, reason, rows.get(table, 0), source, index.name, evidence or {}
	)


def redundant_in_table(
	table: str, table_indexes: list[Index], innodb: bool, keys: list[ForeignKey], managed: Container[str]
) -> list[tuple[Index, Index]]:
	"""(redundant index, an index that stays and serves it), leaving every constraint its index."""
	primary = primary_of(table_indexes, innodb)
	ranked = by_preference(table_indexes, managed)
	position = {i.name: n for n, i in enumerate(ranked)}
	dropped = {
		i.name
		for i in ranked
		if not i.primary
		and any(
			served_by(i, o, primary) and (not served_by(o, i, primary) or position[o.name] < position[i.name])
			for o in ranked
			if o is not i
		)
	}
	while True:  # keeping one index back can only make the others safer to drop
		kept = [i for i in ranked if i.name not in dropped]
		found, keep_back = [], None
		for index in (i for i in ranked if i.name in dropped):
			cover = next((o for o in kept if served_by(index, o, primary)), None)
			if cover is None or constraints.refusal(index, table, kept, keys):
				keep_back = index.name
				break
			found.append((index, cover))
		if keep_back is None:
			return found
		dropped.discard(keep_back)


def redundant_findings(
	indexes: dict[str, list[Index]],
	sizes: dict[str, TableSize],
	keys: list[ForeignKey] | None = None,
	managed: dict[str, Container[str]] | None = None,
) -> list[Recommendation]:
	"""Every redundant index and duplicate foreign key, with what makes it redundant.

	`managed` maps a table to the names of its indexes Frappe's meta owns (kept first)."""
	rows = {t: s.rows for t, s in sizes.items()}
	keys = keys or []
	findings = []
	for table, table_indexes in indexes.items():
		if len(table_indexes) < 2:
			continue  # an index alone has nothing that serves it
		innodb = sizes[table].engine == INNODB if table in sizes else True
		table_keys = [k for k in keys if table in (k.table, k.referenced_table)]
		owned = (managed or {}).get(table, ())
		for index, cover in redundant_in_table(table, table_indexes, innodb, table_keys, owned):
			duplicate = served_by(cover, index, primary_of(table_indexes, innodb))
			reason = f"{'duplicate of' if duplicate else 'left prefix of'} {cover.describe()}"
			findings.append(drop(table, index, reason, rows, "redundant", {"covered_by": cover.name}))
	return findings + duplicate_foreign_keys(keys, rows)


def duplicate_foreign_keys(keys: list[ForeignKey], rows: dict[str, int]) -> list[Recommendation]:
	"""Foreign keys checking the same columns against the same referenced columns as another."""
	groups: dict[tuple, list[ForeignKey]] = {}
	for key in keys:
		signature = (
			key.table,
			tuple(c.lower() for c in key.columns),
			key.referenced_table,
			tuple(c.lower() for c in key.referenced_columns),
		)
		groups.setdefault(signature, []).append(key)
	findings = []
	for group in groups.values():
		kept, *duplicates = sorted(group, key=lambda k: k.name)
		for key in duplicates:
			finding = Recommendation(
				key.table,
				key.columns,
				DROP,
				LOW,
				f"duplicate of foreign key {kept.name} ({', '.join(kept.columns)} -> {kept.referenced_table})",
				rows.get(key.table, 0),
				DUPLICATE_FOREIGN_KEY,
				key.name,
				{"covered_by": kept.name},
				foreign_key=True,
			)
			finding.blocked_reason = (
				f"perf_engine changes indexes only: review and run by hand: {finding.ddl}"
			)
			findings.append(finding)
	return findings


def unused_findings(
	conn: pymysql.Connection,
	schema: str,
	indexes: dict[str, list[Index]],
	rows: dict[str, int],
	keys: list[ForeignKey] | None = None,
	variables: dict[str, str] | None = None,
) -> tuple[list[Recommendation], str]:
	"""Indexes with no recorded use, and a sentence on where usage came from and what window it covers.

	`variables` are the server's (`server_variables.read`), when the caller has read them already."""
	variables = variables if variables is not None else server_variables.read(conn)
	unused: set[tuple[str, str]] = set()
	source = None
	if variables.get("performance_schema") == "ON":
		with conn.cursor() as cur:
			cur.execute(UNUSED_PS_SQL, (schema,))
			unused = {(t, i) for t, i in cur.fetchall()}
		source = "performance_schema"
	elif variables.get("userstat") == "ON":
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
	window = server_variables.uptime_window(conn)
	findings = []
	for table, name in sorted(unused):
		table_indexes = indexes.get(table, [])
		index = next((i for i in table_indexes if i.name == name), None)
		if index and not constraints.refusal(index, table, table_indexes, keys or []):
			findings.append(drop(table, index, f"no use recorded by {source} {window}", rows, "unused"))
	return findings, f"Usage from {source}, {window}."
