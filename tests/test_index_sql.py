"""The SQL reader maps statements to equality, range and ORDER BY columns per table."""

from perf_engine.core.indexes.sql import table_uses, tokenize


def uses(sql):
	return {table: (use.equality, use.range, use.order_by) for table, use in table_uses(sql).items()}


def test_frappe_list_query():
	"""A list view query gives its filter, its date range and its sort column."""
	sql = "SELECT `name` FROM `tabSales Invoice` WHERE `customer` = %s AND `posting_date` >= %s ORDER BY `posting_date` DESC LIMIT 20"
	assert uses(sql) == {"tabSales Invoice": (["customer"], ["posting_date"], ["posting_date"])}


def test_joins_resolve_aliases():
	"""Aliased columns are attributed to their own tables; column-to-column joins are not filters."""
	sql = """select si.name from `tabSales Invoice` si
		inner join `tabSales Invoice Item` sii on sii.parent = si.name
		where si.company = 'X' and sii.item_code in ('a', 'b') and si.docstatus = 1"""
	assert uses(sql) == {
		"tabSales Invoice": (["company", "docstatus"], [], []),
		"tabSales Invoice Item": (["item_code"], [], []),
	}


def test_or_not_and_leading_wildcards_are_not_indexable():
	"""Predicates joined by OR, negated ones, and LIKE '%x' give nothing; LIKE 'x%' and BETWEEN are ranges."""
	sql = "SELECT a FROM t WHERE x = 1 AND (k = 1 OR m = 2) AND NOT w = 3 AND s LIKE 'Op%' AND d BETWEEN 1 AND 5 AND n LIKE '%z'"
	assert uses(sql) == {"t": (["x"], ["s", "d"], [])}
	assert uses("SELECT a FROM t WHERE a = 1 AND b = 2 OR c = 3") == {}


def test_update_delete_and_digests():
	"""UPDATE, DELETE and performance_schema digests with `?` placeholders are read too."""
	assert uses("UPDATE tabItem SET disabled = 1 WHERE item_group = 'x'") == {
		"tabItem": (["item_group"], [], [])
	}
	assert uses("DELETE FROM `tabError Log` WHERE creation < NOW() - INTERVAL 30 DAY") == {
		"tabError Log": ([], ["creation"], [])
	}
	assert uses(
		"SELECT * FROM `tabGL Entry` WHERE `account` = ? AND `is_cancelled` = ? ORDER BY `posting_date`"
	) == {"tabGL Entry": (["account", "is_cancelled"], [], ["posting_date"])}


def test_tokenizer_keeps_quoted_text_whole():
	"""Backticked identifiers and strings with escaped quotes stay one token; comments are skipped."""
	tokens = tokenize("SELECT `a b` FROM t -- note\nWHERE c = 'it\\'s' /* x */ AND d IS NULL")
	assert [t.value for t in tokens if t.kind in ("ident", "string")] == ["a b", "t", "c", "it\\'s", "d"]
	assert uses("SELECT * FROM t WHERE d IS NULL AND e IS NOT NULL") == {"t": (["d"], [], [])}
