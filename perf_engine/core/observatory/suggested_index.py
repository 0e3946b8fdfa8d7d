"""The index the index analysis would add for one statement: the same reader, ranking and coverage rule.

The statement's example is read with the SQL reader against the site's catalog; for each table
it uses, the composite the workload analysis would build (`workload.composite`, equality
columns most selective first) is kept unless an existing index already covers it. The first
such index is the statement's suggestion, with its DDL and the key of the *Index
Recommendation* an analysis would store for it. Catalog facts are read once per call.
"""

import pymysql

from perf_engine.core.indexes import catalog, workload
from perf_engine.core.indexes.recommendation import ADD, ddl, index_name, key


class IndexAdvisor:
	"""Suggestions for several statements of one database, sharing the catalog reads."""

	def __init__(self, conn: pymysql.Connection, database: str):
		self.conn, self.database = conn, database
		self.sizes = catalog.table_sizes(conn, database)
		self.facts = workload.TableFacts(conn, database, self.sizes)
		self.table_indexes: dict[str, list[catalog.Index]] = {}

	def indexes_of(self, table: str) -> list[catalog.Index]:
		if table not in self.table_indexes:
			self.table_indexes[table] = catalog.indexes(self.conn, self.database, table).get(table, [])
		return self.table_indexes[table]

	def suggest(self, sql: str) -> dict | None:
		"""The first index the statement needs and lacks, or None (covered, unreadable, no table of ours)."""
		# sqlglot is imported only by a call that reads statements (see workload.findings_from).
		from perf_engine.core.indexes.sql import read

		reading = read(sql, self.facts.columns)
		for use in reading.uses:
			if use.table not in self.sizes or (use.database and use.database != self.database):
				continue
			table_indexes = self.indexes_of(use.table)
			columns = workload.composite(
				use, self.facts.by_selectivity(use.table, use.equality, table_indexes)
			)
			if not columns or catalog.covered(columns, table_indexes):
				continue
			name = index_name(columns)
			return {
				"table": use.table,
				"columns": list(columns),
				"ddl": ddl(use.table, name, columns, ADD),
				"key": key(use.table, columns, ADD, name),
				"rows": self.sizes[use.table].rows,
			}
		return None


def add_suggestions(conn: pymysql.Connection, database: str, queries: list[dict]) -> None:
	"""Each query's `suggested_index` (None when there is none), from its example."""
	advisor = IndexAdvisor(conn, database)
	for query in queries:
		query["suggested_index"] = advisor.suggest(query["example"] or query["fingerprint"])
