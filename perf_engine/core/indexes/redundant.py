"""Redundant, IGNORED and unused indexes, judged more carefully than pt-duplicate-key-checker.

An index is redundant when another index of the same type that the optimizer may use (not
IGNORED) serves every lookup it serves:
- B-tree: its parts, read forwards or all of them backwards, are a left prefix of the
  other's, part by part the same column and direction with a prefix length no longer than
  the other's (`name(10)` is served by `name`, never the reverse; `(a, b)` by
  `(a DESC, b DESC)` read backwards, never by `(a, b DESC)`); on InnoDB only, the primary
  key columns every secondary index stores count too, so `(a, name)` duplicates `(a)` when
  `name` is the primary key;
- FULLTEXT: only another FULLTEXT on the same set of columns, in any order (a FULLTEXT
  index answers MATCH on exactly its columns, never on a left prefix);
- SPATIAL and HASH: only an identical one.
Of identical indexes one is kept (PRIMARY, then one a constraint needs, then UNIQUE, then
the one Frappe's meta owns, then the fewest declared columns, then the fewest descending
parts, then the first name) and every other is reported, each against an index that stays.
Nothing `constraints.refusal` protects is reported: a UNIQUE index only while another key
enforces it; when a foreign key needs the wider of two twins, the narrower goes instead.
An IGNORED index no visible index serves is shown on its own (source `ignored`), saying what
dropping it and un-ignoring it would do; when a constraint needs it, with no drop offered.
Duplicate foreign keys are reported too: the same table, referenced table and column pairs,
in any order. Unused indexes come from performance_schema or MariaDB's userstat, over the
window since the server started; an IGNORED index is never called unused (nothing can use it).
"""

from collections.abc import Container
from dataclasses import replace

import pymysql

from perf_engine.core.indexes import constraints, server_variables
from perf_engine.core.indexes.catalog import BTREE, FULLTEXT, INNODB, ForeignKey, Index, Part, TableSize
from perf_engine.core.indexes.recommendation import DROP, LOW, Recommendation, quote

UNUSED_PS_SQL = """
	SELECT object_name, index_name FROM performance_schema.table_io_waits_summary_by_index_usage
	WHERE object_schema = %s AND index_name IS NOT NULL AND index_name != 'PRIMARY' AND count_star = 0
"""
USED_USERSTAT_SQL = (
	"SELECT table_name, index_name FROM information_schema.INDEX_STATISTICS WHERE table_schema = %s"
)
DUPLICATE_FOREIGN_KEY = "duplicate foreign key"
REDUNDANT, IGNORED, UNUSED = "redundant", "ignored", "unused"


def stored_parts(index: Index, primary: Index | None) -> tuple[Part, ...]:
	"""What InnoDB stores in a secondary index: its parts, then the primary key's other columns."""
	if primary is None or index.primary:
		return index.parts
	own = {c.lower() for c in index.columns}
	return index.parts + tuple(p for p in primary.parts if p.column.lower() not in own)


def is_left_prefix(short: tuple[Part, ...], long: tuple[Part, ...]) -> bool:
	return len(short) <= len(long) and all(mine.serves(part) for part, mine in zip(short, long, strict=False))


def served_by(index: Index, other: Index, primary: Index | None, backwards: bool = True) -> bool:
	"""`other` answers every lookup `index` answers (`primary` given only for InnoDB tables).

	An IGNORED `other` answers none. With `backwards`, `other` may be read backwards, as MariaDB
	reads a B-tree for the opposite ORDER BY."""
	if other.ignored or index.index_type != other.index_type:
		return False
	if index.index_type == FULLTEXT:
		return {c.lower() for c in index.columns} == {c.lower() for c in other.columns}
	if index.index_type != BTREE:
		return [p.key for p in index.parts] == [p.key for p in other.parts]
	pairs = [(index.parts, other.parts)]
	if primary is not None:
		pairs.append((stored_parts(index, primary), stored_parts(other, primary)))
	return any(
		is_left_prefix(mine, theirs)
		or (backwards and is_left_prefix(tuple(p.reversed() for p in mine), theirs))
		for mine, theirs in pairs
	)


def primary_of(table_indexes: list[Index], innodb: bool) -> Index | None:
	"""The primary key whose columns every secondary index stores: InnoDB only."""
	return next((i for i in table_indexes if i.primary), None) if innodb else None


def by_preference(table_indexes: list[Index], managed: Container[str], pinned: Container[str]) -> list[Index]:
	"""Which of identical indexes stays, first first: PRIMARY, needed by a constraint (`pinned`),
	UNIQUE, owned by meta, narrowest, fewest descending parts, by name."""
	return sorted(
		table_indexes,
		key=lambda i: (
			not i.primary,
			i.name not in pinned,
			not i.unique,
			i.name not in managed,
			len(i.columns),
			sum(p.descending for p in i.parts),
			i.name,
		),
	)


def cover_of(index: Index, kept: list[Index], primary: Index | None) -> Index | None:
	"""An index that stays and serves `index`: one read forwards if there is one."""
	for backwards in (False, True):
		cover = next((o for o in kept if served_by(index, o, primary, backwards)), None)
		if cover is not None:
			return cover
	return None


def drop(
	table: str,
	index: Index,
	reason: str,
	sizes: dict[str, TableSize],
	source: str,
	evidence: dict | None = None,
) -> Recommendation:
	"""A drop recommendation for an existing index; always LOW and never applied automatically."""
	size = sizes.get(table)
	return Recommendation(
		table,
		index.columns,
		DROP,
		LOW,
		reason,
		size.rows if size else 0,
		source,
		index.name,
		evidence or {},
		engine=size.engine if size else INNODB,
	)


def redundant_in_table(
	table: str, table_indexes: list[Index], innodb: bool, keys: list[ForeignKey], managed: Container[str]
) -> list[tuple[Index, Index]]:
	"""(redundant index, an index that stays and serves it), leaving every constraint its index."""
	primary = primary_of(table_indexes, innodb)
	pinned: set[str] = set()
	while True:  # an index a constraint keeps is preferred from then on, so its twins can go instead
		ranked = by_preference(table_indexes, managed, pinned)
		position = {i.name: n for n, i in enumerate(ranked)}
		dropped = {
			i.name
			for i in ranked
			if not i.primary
			and i.name not in pinned
			and any(
				served_by(i, o, primary)
				and (not served_by(o, i, primary) or position[o.name] < position[i.name])
				for o in ranked
				if o is not i
			)
		}
		kept = [i for i in ranked if i.name not in dropped]
		found, keep_back = [], None
		for index in (i for i in ranked if i.name in dropped):
			cover = cover_of(index, kept, primary)
			if cover is None or constraints.refusal(index, table, kept, keys):
				keep_back = index.name
				break
			found.append((index, cover))
		if keep_back is None:
			return found
		pinned.add(keep_back)


def redundancy(index: Index, cover: Index, primary: Index | None) -> str:
	"""Why `cover` makes `index` redundant: a duplicate or a left prefix, read backwards or not."""
	duplicate = served_by(cover, replace(index, ignored=False), primary)
	backwards = "" if served_by(index, cover, primary, backwards=False) else ", read backwards"
	return f"{'duplicate of' if duplicate else 'left prefix of'} {cover.describe()}{backwards}"


def redundant_findings(
	indexes: dict[str, list[Index]],
	sizes: dict[str, TableSize],
	keys: list[ForeignKey] | None = None,
	managed: dict[str, Container[str]] | None = None,
) -> list[Recommendation]:
	"""Every redundant index, IGNORED index and duplicate foreign key, with what makes it one.

	`managed` maps a table to the names of its indexes Frappe's meta owns (kept first)."""
	keys = keys or []
	findings = []
	for table, table_indexes in indexes.items():
		innodb = sizes[table].engine == INNODB if table in sizes else True
		table_keys = [k for k in keys if table in (k.table, k.referenced_table)]
		owned = (managed or {}).get(table, ())
		primary = primary_of(table_indexes, innodb)
		# An index alone has nothing that serves it.
		found = (
			redundant_in_table(table, table_indexes, innodb, table_keys, owned)
			if len(table_indexes) > 1
			else []
		)
		for index, cover in found:
			reason, evidence = redundancy(index, cover, primary), {"covered_by": cover.name}
			if index.ignored:
				reason += "; it is IGNORED already, so dropping it changes no query plan"
				evidence["ignored"] = True
			findings.append(drop(table, index, reason, sizes, REDUNDANT, evidence))
		reported = {index.name for index, _ in found}
		findings += [
			ignored_finding(table, index, table_indexes, innodb, table_keys, owned, reported, sizes)
			for index in table_indexes
			if index.ignored and index.name not in reported
		]
	return findings + duplicate_foreign_keys(keys, {t: s.rows for t, s in sizes.items()})


def ignored_finding(
	table: str,
	index: Index,
	table_indexes: list[Index],
	innodb: bool,
	keys: list[ForeignKey],
	managed: Container[str],
	redundant_now: Container[str],
	sizes: dict[str, TableSize],
) -> Recommendation:
	"""An IGNORED index no visible one serves: what dropping it, and un-ignoring it, would do."""
	refusal = constraints.refusal(index, table, table_indexes, keys)
	if_dropped = (
		f"it cannot be dropped: {refusal}"
		if refusal
		else "dropping it changes no query plan (no query can use it now) and spares every write its upkeep"
	)
	newly = made_redundant(table, index, table_indexes, innodb, keys, managed, redundant_now)
	primary = primary_of(table_indexes, innodb)
	if_unignored = f"un-ignoring it lets lookups on ({', '.join(index.columns)}) use it again" + (
		" and makes "
		+ "; ".join(f"{i.describe()} redundant ({redundancy(i, cover, primary)})" for i, cover in newly)
		if newly
		else ""
	)
	finding = drop(
		table,
		index,
		f"IGNORED: {if_dropped}; {if_unignored}",
		sizes,
		IGNORED,
		{
			"ignored": True,
			"if_dropped": if_dropped,
			"if_unignored": if_unignored,
			"would_make_redundant": [i.name for i, _ in newly],
		},
	)
	if refusal:
		finding.blocked_reason = (
			f"{refusal}; to let queries use it again, make it NOT IGNORED: "
			f"ALTER TABLE {quote(table)} ALTER INDEX {quote(index.name)} NOT IGNORED"
		)
	return finding


def made_redundant(
	table: str,
	index: Index,
	table_indexes: list[Index],
	innodb: bool,
	keys: list[ForeignKey],
	managed: Container[str],
	redundant_now: Container[str],
) -> list[tuple[Index, Index]]:
	"""What un-ignoring `index` would make redundant that is not redundant now, with what would serve it."""
	visible = [replace(i, ignored=False) if i is index else i for i in table_indexes]
	return [
		(i, cover)
		for i, cover in redundant_in_table(table, visible, innodb, keys, managed)
		if i.name not in redundant_now and i.name != index.name
	]


def ignored_note(indexes: dict[str, list[Index]]) -> str:
	"""How many indexes are IGNORED (empty when none): each is a finding of its own."""
	count = sum(i.ignored for table_indexes in indexes.values() for i in table_indexes)
	if not count:
		return ""
	return f"{count} index(es) are IGNORED: each is listed with what dropping it and un-ignoring it would do."


def duplicate_foreign_keys(keys: list[ForeignKey], rows: dict[str, int]) -> list[Recommendation]:
	"""Foreign keys checking the same column pairs against the same table as another, in any order."""
	groups: dict[tuple, list[ForeignKey]] = {}
	for key in keys:
		pairs = frozenset(
			(c.lower(), r.lower()) for c, r in zip(key.columns, key.referenced_columns, strict=True)
		)
		groups.setdefault((key.table, key.referenced_table, pairs), []).append(key)
	findings = []
	for group in groups.values():
		kept, *duplicates = sorted(group, key=lambda k: k.name)
		for key in duplicates:
			finding = Recommendation(
				key.table,
				key.columns,
				DROP,
				LOW,
				f"duplicate of foreign key {kept.name} ({', '.join(kept.columns)} -> "
				f"{kept.referenced_table} ({', '.join(kept.referenced_columns)}))",
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
	sizes: dict[str, TableSize],
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
		if index and not index.ignored and not constraints.refusal(index, table, table_indexes, keys or []):
			findings.append(drop(table, index, f"no use recorded by {source} {window}", sizes, UNUSED))
	return findings, f"Usage from {source}, {window}."
