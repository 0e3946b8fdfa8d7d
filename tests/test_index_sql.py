"""The SQL reader: one test per way the old hand-written reader misread statements, then
placeholders, digests, joins, the catalog and the statements it refuses."""

import time

import pytest

from perf_engine.core.indexes import sql, sql_text
from perf_engine.core.indexes.sql import FUNCTION, LEADING_WILDCARD, OR_BRANCHES, read
from perf_engine.core.indexes.workload import composite
from perf_engine.core.query import unbounded

INVOICE = "tabSales Invoice"


def only_use(statement: str, columns_of=None) -> sql.TableUse:
	"""The one table use a statement has."""
	reading = read(statement, columns_of)
	assert reading.unread is None, reading.unread
	assert len(reading.uses) == 1, reading.uses
	return reading.uses[0]


def by_table(statement: str, columns_of=None) -> dict[str, sql.TableUse]:
	reading = read(statement, columns_of)
	assert reading.unread is None, reading.unread
	return {use.table: use for use in reading.uses}


# What the old reader got wrong, one test each.


def test_or_between_columns_makes_both_unindexable():
	"""`creation < NOW() - INTERVAL 7 DAY OR seen = 0` proposes no index on creation: the OR makes it useless."""
	use = only_use("SELECT name FROM `tabError Log` WHERE creation < NOW() - INTERVAL 7 DAY OR seen = 0")
	assert use.equality == [] and use.range == []
	assert use.unindexable == [("creation", OR_BRANCHES), ("seen", OR_BRANCHES)]
	assert composite(use, use.equality) == ()


def test_date_arithmetic_keeps_the_rest_of_the_where_clause():
	"""After `CURDATE() - INTERVAL 30 DAY` the remaining filters still count: (customer, company, docstatus, posting_date)."""
	use = only_use(
		"SELECT name FROM `tabSales Invoice` WHERE customer = 'C-1' "
		"AND posting_date >= CURDATE() - INTERVAL 30 DAY AND company = 'Acme' AND docstatus = 1"
	)
	assert use.equality == ["customer", "company", "docstatus"] and use.range == ["posting_date"]
	assert composite(use, use.equality) == ("customer", "company", "docstatus", "posting_date")


def test_a_range_in_parentheses_is_still_a_range():
	"""`(posting_date >= CURDATE() - INTERVAL 30 DAY)` keeps its range column."""
	use = only_use(
		"SELECT name FROM `tabSales Invoice` WHERE (customer = 'C-1') AND "
		"((posting_date >= (CURDATE() - INTERVAL 30 DAY))) AND (docstatus = 1)"
	)
	assert use.equality == ["customer", "docstatus"] and use.range == ["posting_date"]


@pytest.mark.parametrize(
	"statement",
	[
		"SHOW INDEX FROM tabToDo WHERE key_name = 'status'",
		"SHOW TABLE STATUS WHERE Name = 'tabToDo'",
		"SHOW VARIABLES LIKE 'slow%'",
		"SET SESSION lock_wait_timeout = 5",
		"SET @x = (SELECT MAX(name) FROM tabToDo WHERE status = 'Open')",
		"DESCRIBE tabToDo",
		"BEGIN",
		"COMMIT",
		"CREATE TABLE t (a INT)",
		"ALTER TABLE tabToDo ADD INDEX status_index (status)",
		"INSERT INTO tabToDo (name, status) VALUES ('x', 'Open')",
	],
)
def test_statements_that_are_not_queries_on_a_table_give_nothing(statement):
	"""SHOW ... WHERE key_name = ... and other non-queries yield no table and are not counted as unread."""
	reading = read(statement)
	assert reading.uses == [] and reading.unread is None


def test_having_aliases_are_not_index_columns():
	"""A HAVING on an aggregate alias filters groups, not rows: it gives no column."""
	use = only_use(
		"SELECT customer, SUM(grand_total) AS total FROM `tabSales Invoice` WHERE docstatus = 1 "
		"GROUP BY customer HAVING total > 1000 AND customer LIKE 'A%'"
	)
	assert use.equality == ["docstatus"] and use.range == [] and use.group_by == ["customer"]


def test_order_by_case_and_group_concat_order_are_not_index_columns():
	"""ORDER BY CASE ... and the ORDER BY inside GROUP_CONCAT are no sort columns of the table."""
	use = only_use(
		"SELECT parent, GROUP_CONCAT(role ORDER BY idx SEPARATOR ',') FROM `tabHas Role` "
		"WHERE parenttype = 'User' GROUP BY parent ORDER BY CASE WHEN parent = 'Administrator' THEN 0 ELSE 1 END"
	)
	assert use.order_by == [] and use.group_by == ["parent"] and use.equality == ["parenttype"]


def test_order_by_aliases_resolve_to_their_expressions():
	"""An alias of a plain column sorts by that column; an alias of an aggregate or a position of one, sorted
	by too, leaves an ORDER BY no index serves."""
	statement = (
		"SELECT posting_date AS day, COUNT(*) AS n FROM `tabSales Invoice` WHERE company = 'Acme' ORDER BY "
	)
	assert only_use(statement + "day").order_by == ["posting_date"]
	assert only_use(statement + "day, n, 2").order_by == []
	assert only_use("SELECT name, customer FROM `tabSales Invoice` ORDER BY 2 DESC").order_by == ["customer"]


def test_union_branches_each_give_their_table():
	"""A UNION of two one-table SELECTs yields both tables' filters."""
	uses = by_table(
		"SELECT name FROM tabToDo WHERE status = 'Open' UNION ALL SELECT name FROM tabEvent WHERE event_type = 'Public'"
	)
	assert uses["tabToDo"].equality == ["status"] and uses["tabEvent"].equality == ["event_type"]


def test_tables_inside_in_select_and_exists_are_read():
	"""Tables in IN (SELECT ...) and EXISTS (...) get their own predicates; correlated columns are equality."""
	uses = by_table(
		"SELECT name FROM tabToDo t WHERE t.reference_name IN (SELECT name FROM tabTask WHERE project = 'P-1') "
		"AND EXISTS (SELECT 1 FROM `tabHas Role` r WHERE r.parent = t.allocated_to AND r.role = 'Projects User')"
	)
	assert uses["tabToDo"].equality == ["reference_name"]
	assert uses["tabTask"].equality == ["project"]
	assert uses["tabHas Role"].equality == ["parent", "role"]


def test_a_scalar_subquery_in_the_select_list_keeps_the_outer_filters():
	"""A subquery among the selected columns neither empties the result nor hides the outer WHERE."""
	uses = by_table(
		"SELECT si.name, (SELECT COUNT(*) FROM `tabSales Invoice Item` sii WHERE sii.parent = si.name) AS n "
		"FROM `tabSales Invoice` si WHERE si.customer = 'C-1' AND si.docstatus = 1 ORDER BY si.posting_date"
	)
	assert uses[INVOICE].equality == ["customer", "docstatus"] and uses[INVOICE].order_by == ["posting_date"]
	assert uses["tabSales Invoice Item"].equality == ["parent"]


@pytest.mark.parametrize("placeholder", ["%(customer)s", "%s", "?"])
def test_placeholders_keep_the_rest_of_the_where_clause(placeholder):
	"""After `%(name)s`, `%s` or `?` every later filter is still read."""
	use = only_use(
		f"SELECT name FROM `tabSales Invoice` WHERE customer = {placeholder} AND company = {placeholder} "
		f"AND posting_date BETWEEN {placeholder} AND {placeholder} AND status IN ({placeholder}, {placeholder})"
	)
	assert use.equality == ["customer", "company", "status"] and use.range == ["posting_date"]


def test_group_by_columns_are_reported():
	"""GROUP BY columns come back, table-qualified or not."""
	use = only_use(
		"SELECT `tabToDo`.`status`, allocated_to, COUNT(*) FROM `tabToDo` GROUP BY `tabToDo`.`status`, allocated_to"
	)
	assert use.group_by == ["status", "allocated_to"]


# Predicates.


def test_function_on_the_column_and_leading_wildcard_are_refused_with_why():
	"""ifnull(col, ''), DATE(col) and LIKE '%x' are named as unindexable; LIKE 'x%' and BETWEEN are ranges."""
	use = only_use(
		"SELECT name FROM tabToDo WHERE ifnull(allocated_to, '') = '' AND DATE(creation) = '2025-01-01' "
		"AND description LIKE '%urgent%' AND name LIKE 'TODO-%' AND date BETWEEN '2025-01-01' AND '2025-02-01'"
	)
	assert use.range == ["name", "date"]
	assert use.unindexable == [
		("allocated_to", FUNCTION),
		("creation", FUNCTION),
		("description", LEADING_WILDCARD),
	]


def test_or_of_one_column_is_one_equality_or_range():
	"""`a = 1 OR a = 2` is an IN; `a IS NULL OR a < x` is a range MariaDB reads from one index."""
	use = only_use(
		"SELECT name FROM `tabEmail Queue` WHERE (status = 'Not Sent' OR status = 'Partially Sent') "
		"AND (send_after IS NULL OR send_after < NOW())"
	)
	assert use.equality == ["status"] and use.range == ["send_after"] and use.unindexable == []


def test_negations_and_inequalities_give_nothing():
	"""NOT, !=, NOT IN and IS NOT NULL are read as no filter at all."""
	use = only_use(
		"SELECT name FROM tabToDo WHERE NOT status = 'Open' AND priority != 'Low' "
		"AND role NOT IN ('a') AND allocated_to IS NOT NULL AND date IS NULL"
	)
	assert use.equality == ["date"] and use.range == [] and use.unindexable == []


def test_value_on_the_left_reads_the_same():
	"""`'Open' = status` and `5 < idx` read like `status = 'Open'` and `idx > 5`."""
	use = only_use("SELECT name FROM tabToDo WHERE 'Open' = status AND 5 < idx")
	assert use.equality == ["status"] and use.range == ["idx"]


# Joins and aliases.


def test_join_columns_and_aliases_resolve_to_real_tables():
	"""Aliased columns go to their own tables; an inner join's key is a join column of both."""
	uses = by_table(
		"SELECT si.name FROM `tabSales Invoice` si INNER JOIN `tabSales Invoice Item` sii ON sii.parent = si.name "
		"WHERE si.company = 'X' AND sii.item_code IN ('a', 'b') AND si.docstatus = 1"
	)
	assert (uses[INVOICE].equality, uses[INVOICE].join) == (["company", "docstatus"], ["name"])
	assert (uses["tabSales Invoice Item"].equality, uses["tabSales Invoice Item"].join) == (
		["item_code"],
		["parent"],
	)


def test_left_join_on_clause_filters_only_the_joined_table():
	"""A LEFT JOIN's key is equality on the joined table; its ON never filters the left table."""
	uses = by_table(
		"SELECT a.name FROM tabUser a LEFT JOIN `tabHas Role` r ON r.parent = a.name AND r.role = 'Admin' "
		"AND a.enabled = 1 WHERE a.user_type = 'System User'"
	)
	assert uses["tabHas Role"].equality == ["parent", "role"]
	assert uses["tabUser"].equality == ["user_type"] and uses["tabUser"].join == []


def test_unqualified_columns_in_a_join_need_the_catalog():
	"""Without a catalog an unqualified column of a join is not guessed; with one it goes to its table."""
	statement = (
		"SELECT si.name FROM `tabSales Invoice` si JOIN `tabSales Invoice Item` sii ON sii.parent = si.name "
		"WHERE customer = 'C-1' AND item_code = 'I-1'"
	)
	assert by_table(statement)[INVOICE].equality == []
	catalog = {INVOICE: {"name", "customer"}, "tabSales Invoice Item": {"name", "parent", "item_code"}}
	uses = by_table(statement, catalog.get)
	assert uses[INVOICE].equality == ["customer"]
	assert uses["tabSales Invoice Item"].equality == ["item_code"]


def test_columns_the_table_does_not_have_are_never_returned():
	"""Against the catalog, unknown columns are dropped and known ones take the catalog's spelling."""
	catalog = {"tabToDo": {"name", "status", "allocated_to"}}
	use = only_use(
		"SELECT name FROM tabToDo WHERE Status = 'Open' AND key_name = 'x' AND tabToDo.nosuch = 1 ORDER BY bogus",
		catalog.get,
	)
	assert (use.equality, use.order_by) == (["status"], [])


def test_correlated_unqualified_column_belongs_to_the_outer_table_when_the_catalog_says_so():
	"""`WHERE parent = name` in a subquery: with the catalog, `name` is the outer table's, so `parent` is equality."""
	catalog = {"tabUser": {"name", "enabled"}, "tabHas Role": {"parent", "role"}}
	uses = by_table(
		"SELECT name FROM tabUser WHERE enabled = 1 AND EXISTS (SELECT 1 FROM `tabHas Role` WHERE parent = name)",
		catalog.get,
	)
	assert uses["tabHas Role"].equality == ["parent"]


def test_derived_tables_and_ctes_are_not_tables():
	"""A derived table's or a CTE's columns never become index columns; the tables inside them do."""
	reading = read(
		"WITH open_todo AS (SELECT name, allocated_to FROM tabToDo WHERE status = 'Open') "
		"SELECT x.allocated_to FROM open_todo o JOIN (SELECT name FROM tabUser WHERE enabled = 1) x ON x.name = o.allocated_to "
		"WHERE o.allocated_to = 'a@example.com'"
	)
	assert sorted((u.table, u.equality) for u in reading.uses) == [
		("tabToDo", ["status"]),
		("tabUser", ["enabled"]),
	]


def test_self_join_gives_one_use_per_occurrence():
	"""The same table twice is two uses with their own columns."""
	reading = read(
		"SELECT c.name FROM tabAccount c JOIN tabAccount p ON p.name = c.parent_account "
		"WHERE c.company = 'Acme' AND p.is_group = 1"
	)
	assert [(u.equality, u.join) for u in reading.uses] == [
		(["company"], ["parent_account"]),
		(["is_group"], ["name"]),
	]


def test_schema_qualified_tables_carry_their_database():
	"""`db`.`table` keeps its database, so the analysis can skip other schemas' tables."""
	use = only_use("SELECT name FROM `other_site`.`tabToDo` WHERE status = 'Open'")
	assert (use.database, use.table, use.equality) == ("other_site", "tabToDo", ["status"])


# Digests and normalisation.


def test_performance_schema_digests_are_read():
	"""Spaced-out digest text with `?` and `(...)` reads like the statement it stands for."""
	use = only_use(
		"SELECT `tabToDo` . `name` FROM `tabToDo` WHERE `tabToDo` . `status` IN (...) AND IFNULL ( `tabToDo` . "
		"`allocated_to` , ? ) = ? AND `date` >= NOW ( ) - INTERVAL ? DAY ORDER BY `tabToDo` . `modified` DESC LIMIT ?"
	)
	assert (use.equality, use.range, use.order_by) == (["status"], ["date"], ["modified"])
	assert use.unindexable == [("allocated_to", FUNCTION)]


def test_normalise_rewrites_code_and_keeps_strings_exact():
	"""Placeholders and digest marks become `?`, comments go, and quoted text keeps `%s`, `?` and `--` as they are."""
	text = sql_text.normalise(
		"select a from t where b = %(x)s and c = %s -- note\nand d in (...) and e in (?, ...) /* hint */ and f = 'it''s %s ? -- not a comment'"
	)
	assert (
		text
		== "select a from t where b = ? and c = ? \nand d in (?) and e in (?)   and f = 'it''s %s ? -- not a comment'"
	)


def test_long_literal_lists_are_read_as_one_value():
	"""An IN list of 1,000 names parses as fast as a short one, and means the same equality."""
	names = ", ".join(f"'SINV-{n:05d}'" for n in range(1000))
	text = sql_text.normalise(f"select name from t where name in ({names}) and x in (1, 2, 3)")
	assert text == "select name from t where name in ('SINV-00000') and x in (1, 2, 3)"


# Statements that are refused, never guessed (and always end).


@pytest.mark.parametrize(
	("statement", "reason"),
	[
		("SELECT `a FROM t WHERE b = 1", "unterminated ` quote"),
		("SELECT a FROM t WHERE b = 'x", "unterminated ' quote"),
		('SELECT a FROM t WHERE b = "x\\"', 'unterminated " quote'),
		("SELECT a FROM t /* WHERE b = 1", "unterminated /* comment"),
		("SELECT `name` FROM `tabToDo` WHERE `status` = ? AND `allocated_to` = ...", sql_text.TRUNCATED),
		("SELECT `name` , `status` , ...", sql_text.TRUNCATED),
		("SELECT a FROM t WHERE " + "b = 1 AND " * 3000 + "c = 1", sql_text.TOO_LONG_READ),
		("SELECT a FROM t WHERE b IN (" + "1, " * sql_text.MAX_TEXT_CHARS + "1)", sql_text.TOO_LONG),
	],
)
def test_unterminated_truncated_and_oversized_statements_are_refused(statement, reason):
	"""An unterminated quote, backtick or comment, a truncated digest and an oversized text end at once, refused."""
	started = time.monotonic()
	reading = read(statement)
	assert (reading.uses, reading.unread) == ([], reason)
	assert time.monotonic() - started < 5, "refusing must not scan forever"


@pytest.mark.parametrize(
	"statement",
	["SELECT FROM WHERE", "SELECT a FROM t WHERE (b = 1", "SELECT a FROM t WHERE b = = 1", "((((" * 300],
)
def test_statements_sqlglot_cannot_parse_are_refused_with_its_reason(statement):
	"""Broken SQL is unread, with a reason naming the parser; nothing is guessed from it."""
	reading = read(statement)
	assert reading.uses == [] and reading.unread.startswith(
		("sqlglot could not parse it", "nested too deeply")
	)


def test_a_query_sqlglot_only_keeps_as_a_command_is_refused():
	"""When sqlglot falls back to an opaque command for a query keyword, the statement is unread, not empty."""
	reading = read("REPLACE(name, 'a', 'b')")
	assert (reading.uses, reading.unread) == ([], sql.NOT_UNDERSTOOD)


# What runs beside peer tools found: each statement here was misread, or raised, before.


@pytest.mark.parametrize(
	"statement",
	[
		"SELECT DATE_SUB(NOW())",
		"SELECT name FROM tabToDo WHERE creation > DATE_SUB(",
		"SELECT name FROM tabToDo WHERE creation > DATE_SUB(NOW(), ",
		"SHOW FULL",
	],
)
def test_whatever_sqlglot_raises_the_statement_gets_a_reason(statement):
	"""sqlglot's AttributeError (`DATE_SUB(` cut or short of arguments) and IndexError (`SHOW FULL`) are reasons."""
	reading = read(statement)
	assert reading.uses == [] and reading.unread.startswith("sqlglot")
	assert unbounded.is_unbounded_list(statement) is False


def test_not_like_a_prefix_is_no_filter_and_keeps_the_sort_column():
	"""`NOT LIKE 'x%'` reads no index range: the composite keeps its ORDER BY column after the equality."""
	use = only_use(
		"SELECT name FROM tabToDo WHERE status = 'Open' AND description NOT LIKE 'x%' "
		"AND name NOT LIKE 'T!_%' ESCAPE '!' ORDER BY modified DESC"
	)
	assert (use.equality, use.range, use.unindexable) == (["status"], [], [])
	assert composite(use, use.equality) == ("status", "modified")


@pytest.mark.parametrize(
	"statement",
	[
		"REPLACE INTO `tabToDo Archive` SELECT * FROM tabToDo WHERE status = 'Closed'",
		"replace low_priority into `tabToDo Archive` (name) SELECT name FROM tabToDo WHERE status = 'Closed'",
		"\n  REPLACE `tabToDo Archive` SELECT * FROM tabToDo WHERE status = 'Closed'",
		"/* archive */ REPLACE INTO `tabToDo Archive`\nSELECT * FROM tabToDo WHERE status = 'Closed'",
		"SET @n = 1;\nREPLACE INTO `tabToDo Archive` SELECT * FROM tabToDo WHERE status = 'Closed'",
	],
)
def test_replace_keeps_its_select(statement):
	"""REPLACE ... SELECT, with its modifiers or on a line of its own, is read like INSERT ... SELECT."""
	assert by_table(statement)["tabToDo"].equality == ["status"]


def test_replace_without_a_select_and_the_replace_function_read_as_before():
	"""REPLACE ... VALUES gives nothing (and is not unread); the REPLACE() function is no statement."""
	assert read("REPLACE INTO tabToDo (name) VALUES ('x')") == sql.Reading()
	use = only_use("SELECT REPLACE(name, 'a', 'b') FROM tabToDo WHERE status = 'Open'")
	assert use.equality == ["status"]


def test_a_long_in_list_is_shortened_before_the_length_limit_so_it_is_read():
	"""Frappe's `["in", list]` of 8,000 names (200 KB) reads as one equality; only text past the raw limit is refused."""
	names = ", ".join(f"'{'TASK-2025-' + str(n).zfill(14)}'" for n in range(8000))
	statement = (
		f"SELECT name FROM tabToDo WHERE reference_name IN ({names}) AND status = 'Open' ORDER BY modified"
	)
	assert 200_000 < len(statement) < sql_text.MAX_TEXT_CHARS
	use = only_use(statement)
	assert (use.equality, use.order_by) == (["reference_name", "status"], ["modified"])
	many_short_lists = read("SELECT 1 FROM t WHERE " + " AND ".join(["a IN (1, 2)"] * 3000))
	assert many_short_lists.unread == sql_text.TOO_LONG_READ


def test_right_join_on_clause_filters_only_the_left_side():
	"""A RIGHT JOIN mirrors a LEFT JOIN: its key is equality on the left table, its ON never filters the right."""
	uses = by_table(
		"SELECT u.name FROM `tabHas Role` r RIGHT JOIN tabUser u ON r.parent = u.name AND r.role = 'Admin' "
		"AND u.enabled = 1 WHERE u.user_type = 'System User'"
	)
	assert (uses["tabHas Role"].equality, uses["tabHas Role"].join) == (["parent", "role"], [])
	assert (uses["tabUser"].equality, uses["tabUser"].join) == (["user_type"], [])
	using = by_table("SELECT name FROM tabToDo RIGHT JOIN tabUser USING (name) WHERE enabled = 1")
	assert (using["tabToDo"].equality, using["tabUser"].join) == (["name"], [])


@pytest.mark.parametrize(
	"statement",
	[
		"CREATE TABLE open_todo AS SELECT name FROM tabToDo WHERE status = 'Open'",
		"CREATE TEMPORARY TABLE open_todo SELECT name FROM tabToDo WHERE status = 'Open'",
		"CREATE TABLE open_todo (name VARCHAR(140)) SELECT name FROM tabToDo WHERE status = 'Open'",
	],
)
def test_create_table_as_select_reads_its_select(statement):
	"""CREATE TABLE ... [AS] SELECT runs its SELECT, so the SELECT's tables are read."""
	assert by_table(statement)["tabToDo"].equality == ["status"]


def test_a_view_definition_runs_nothing_and_gives_nothing():
	"""CREATE VIEW ... AS SELECT stores a query without running it: no table use, not unread."""
	assert read("CREATE VIEW open_todo AS SELECT name FROM tabToDo WHERE status = 'Open'") == sql.Reading()


@pytest.mark.parametrize(
	"order_by",
	[
		"FIELD(status, 'Open', 'Closed'), modified DESC",
		"modified DESC, FIELD(status, 'Open', 'Closed')",
		"IF(priority = 'High', 0, 1), modified",
	],
)
def test_an_order_by_an_index_cannot_serve_adds_no_sort_column(order_by):
	"""An ORDER BY with an expression in it sorts in a filesort whatever the index: none of its columns count."""
	use = only_use(f"SELECT name FROM tabToDo WHERE allocated_to = 'a@example.com' ORDER BY {order_by}")
	assert use.order_by == []
	assert composite(use, use.equality) == ("allocated_to",)


def test_an_order_by_across_two_tables_adds_no_sort_column():
	"""ORDER BY columns of two joined tables need a filesort: no single table's index serves them."""
	uses = by_table(
		"SELECT si.name FROM `tabSales Invoice` si JOIN `tabSales Invoice Item` sii ON sii.parent = si.name "
		"WHERE si.company = 'X' ORDER BY si.posting_date, sii.idx"
	)
	assert uses[INVOICE].order_by == [] and uses["tabSales Invoice Item"].order_by == []
