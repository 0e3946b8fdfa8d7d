"""Volume tier of a site's largest tables, from information_schema row estimates.

Measures: the estimated row count of the largest tables of one database (InnoDB's
`table_rows`, refreshed by ANALYZE TABLE), never COUNT(*), and what each tier asks of
the operator.
"""

import pymysql

LARGEST_TABLES = 10
# (tier, rows below which a table belongs to it, what the operator should do)
TIERS = (
	("Small", 10_000, "Nothing to do: every query plan is cheap at this size."),
	("Medium", 100_000, "Index the fields used in list filters and sorts."),
	("Large", 500_000, "Review indexes; keep list views paginated and avoid counts on open lists."),
	("Enterprise", 2_000_001, "Composite indexes for common filters, archive old rows, run reports as jobs."),
	("Massive", None, "Archive or partition, move reports to a replica, review every slow query plan."),
)

LARGEST_TABLES_SQL = """
	SELECT table_name, COALESCE(table_rows, 0), COALESCE(data_length, 0), COALESCE(index_length, 0)
	FROM information_schema.TABLES
	WHERE table_schema = %s AND table_type = 'BASE TABLE'
	ORDER BY table_rows DESC LIMIT %s
"""


def tier_for(rows: int) -> tuple[str, str]:
	"""Small < 10k, Medium < 100k, Large < 500k, Enterprise up to 2M, Massive beyond."""
	for name, below, action in TIERS:
		if below is None or rows < below:
			return name, action
	raise AssertionError("the last tier has no upper bound")


def largest_tables(conn: pymysql.Connection, database: str, limit: int = LARGEST_TABLES) -> list[dict]:
	"""The biggest tables of a database with their estimated rows, sizes and tier."""
	with conn.cursor() as cur:
		cur.execute(LARGEST_TABLES_SQL, (database, limit))
		rows = cur.fetchall()
	tables = []
	for name, estimate, data_bytes, index_bytes in rows:
		tier, action = tier_for(int(estimate))
		tables.append(
			{
				"table": name,
				"rows": int(estimate),
				"data_bytes": int(data_bytes),
				"index_bytes": int(index_bytes),
				"tier": tier,
				"action": action,
			}
		)
	return tables


TABLE_ROWS_SQL = """
	SELECT COALESCE(table_rows, 0) FROM information_schema.TABLES
	WHERE table_schema = %s AND table_name = %s AND table_type = 'BASE TABLE'
"""
# The tiers whose tables a list query may scan without asking: up to and including Large.
SCAN_FREELY_UP_TO = "Large"


def table_rows(conn: pymysql.Connection, database: str, table: str) -> int | None:
	"""One table's estimated rows (InnoDB's statistics, never COUNT(*)); None when there is no such table."""
	with conn.cursor() as cur:
		cur.execute(TABLE_ROWS_SQL, (database, table))
		row = cur.fetchone()
	return int(row[0]) if row else None


def above_large(rows: int) -> bool:
	"""Past the Large tier (500,000 rows and more): a full scan there is a problem on every call."""
	names = [name for name, _, _ in TIERS]
	return names.index(tier_for(rows)[0]) > names.index(SCAN_FREELY_UP_TO)


def small_bound() -> int:
	"""The Small tier's limit: rows any plan reads cheaply."""
	return TIERS[0][1]
