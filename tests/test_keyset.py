"""Keyset pages: every row once in the database's own order, NULLs and ties included, under concurrent writes."""

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

import pymysql
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymysql.constants import FIELD_TYPE

from perf_engine.core.errors import InvalidInput
from perf_engine.core.indexes.plan import read_plan
from perf_engine.core.query import keyset
from tests.services import connect_database, temporary_database

TABLE = "tabStream Row"
COLUMNS = {"name", "rank", "title", "posted"}


def build(conn: pymysql.Connection, rows: int) -> None:
	"""Names with gaps, a nullable rank with many ties and NULLs, an index on rank."""
	with conn.cursor() as cur:
		cur.execute(
			f"""CREATE TABLE `{TABLE}` (name VARCHAR(140) PRIMARY KEY, `rank` INT NULL, title VARCHAR(140),
			posted DATETIME(6) NULL, KEY `rank` (`rank`))"""
		)
		cur.execute(
			f"""INSERT INTO `{TABLE}` SELECT CONCAT('ROW-', LPAD(seq * 3, 8, '0')),
			IF(seq % 7 = 0, NULL, seq % 50), CONCAT('t', seq), IF(seq % 5 = 0, NULL,
			'2024-01-01 00:00:00.000001' + INTERVAL (seq % 900) SECOND) FROM seq_1_to_{rows}"""
		)


@pytest.fixture
def table_db():
	"""A private database holding the test table; dropped afterwards."""
	with temporary_database("pe_i13_keyset") as name:
		conn = connect_database(name)
		build(conn, 5000)
		yield conn
		conn.close()


def database_order(conn: pymysql.Connection, order: keyset.Order) -> list[str]:
	with conn.cursor() as cur:
		cur.execute(
			f"SELECT name FROM `{TABLE}` ORDER BY {keyset.order_clause(order, keyset.quote_identifier)}"
		)
		return [row[0] for row in cur.fetchall()]


@pytest.mark.parametrize("order_by", [None, "rank", "rank desc", "posted", "`posted` DESC", "name desc"])
def test_pages_return_every_row_once_in_the_database_order(table_db, order_by):
	"""Ties and NULLs in the order column (first ascending, last descending) are neither repeated nor skipped."""
	order = keyset.parse_order(order_by, COLUMNS)
	seen = [row["name"] for page in keyset.pages(table_db, TABLE, ["name"], order, 97) for row in page]
	assert seen == database_order(table_db, order)
	assert len(seen) == 5000


def test_a_page_resumes_strictly_after_its_cursor_token(table_db):
	"""A cursor written out as text and read back continues exactly where the walk stopped."""
	order = keyset.parse_order("rank desc", COLUMNS)
	walk = keyset.pages(table_db, TABLE, ["title"], order, 300)
	first = next(walk)
	token = keyset.cursor_after(first[-1], order).token()
	rest = keyset.pages(table_db, TABLE, ["title"], order, 300, after=keyset.Cursor.from_token(token))
	names = [r["name"] for r in first] + [r["name"] for page in rest for r in page]
	assert names == database_order(table_db, order)


def test_deep_pages_read_a_range_of_the_index_not_the_table(table_db):
	"""EXPLAIN of a page deep in the walk shows a range on the order column's index, no filesort."""
	order = keyset.parse_order("rank", COLUMNS)
	cursor = keyset.Cursor(name="ROW-00012000", value=45)
	condition = keyset.after_condition(order, cursor, keyset.quote_identifier, table_db.literal)
	sql = (
		f"SELECT name, `rank` FROM `{TABLE}` WHERE {condition} "
		f"ORDER BY {keyset.order_clause(order, keyset.quote_identifier)} LIMIT 100"
	)
	with table_db.cursor(pymysql.cursors.DictCursor) as cur:
		cur.execute("EXPLAIN " + sql)
		access = read_plan(cur.fetchall()).of(TABLE)
	assert access.key == "rank" and access.access == "range" and not access.filesort


def offset_pages(conn: pymysql.Connection, order: keyset.Order, batch_size: int):
	"""The paging keyset replaces: LIMIT n OFFSET k, for the control case."""
	offset = 0
	while True:
		with conn.cursor(pymysql.cursors.DictCursor) as cur:
			cur.execute(
				f"SELECT name, `rank` FROM `{TABLE}` ORDER BY {keyset.order_clause(order, keyset.quote_identifier)} "
				f"LIMIT {batch_size} OFFSET {offset}"
			)
			page = cur.fetchall()
		if not page:
			return
		yield page
		offset += batch_size


def walk_under_churn(pager: str) -> tuple[list[str], set[str]]:
	"""Walk 20,000 rows by `pager` while, between pages, another connection deletes 5 rows anywhere and inserts
	5 (some tied with the cursor's rank); returns the names seen and the names present throughout."""
	with temporary_database("pe_i13_keyset") as name:
		reader, writer = connect_database(name), connect_database(name)
		build(reader, 20_000)
		with reader.cursor() as cur:
			cur.execute(f"SELECT name FROM `{TABLE}`")
			original = {row[0] for row in cur.fetchall()}
		deletable = sorted(original)[::10]
		stable = original - set(deletable)
		rng = random.Random(13)
		order = keyset.parse_order("rank", COLUMNS)
		if pager == "keyset":
			walk = keyset.pages(reader, TABLE, ["name", "rank"], order, 200)
		else:
			walk = offset_pages(reader, order, 200)
		seen, inserted = [], 0
		for page in walk:
			seen += [row["name"] for row in page]
			with writer.cursor() as cur:
				for _ in range(5):
					cur.execute(
						f"DELETE FROM `{TABLE}` WHERE name = %s",
						(deletable.pop(rng.randrange(len(deletable))),),
					)
					cur.execute(
						f"INSERT INTO `{TABLE}` (name, `rank`, title) VALUES (%s, %s, 'new')",
						(
							f"ROW-{rng.randrange(10**8):08d}x{inserted}",
							rng.choice([None, page[-1]["rank"], 49]),
						),
					)
					inserted += 1
		reader.close()
		writer.close()
	assert inserted >= 400
	return seen, stable


@pytest.mark.parametrize("order_by", ["rank", "rank desc"])
def test_the_first_page_is_read_by_the_index_too(order_by):
	"""The first page's lower bound makes it a range on the order column's index, not a full scan and sort."""
	with temporary_database("pe_i13_keyset") as name:
		conn = connect_database(name)
		build(conn, 100_000)
		with conn.cursor() as cur:
			cur.execute(f"ANALYZE TABLE `{TABLE}`")
		order = keyset.parse_order(order_by, COLUMNS)
		sql = (
			f"SELECT name, title FROM `{TABLE}` "
			f"ORDER BY {keyset.order_clause(order, keyset.quote_identifier)} LIMIT 1000"
		)
		bounded = sql.replace(
			"ORDER BY", f"WHERE {keyset.first_condition(order, TABLE, keyset.quote_identifier)} ORDER BY"
		)
		with conn.cursor(pymysql.cursors.DictCursor) as cur:
			cur.execute("EXPLAIN " + bounded)
			bounded_plan = read_plan(cur.fetchall())
			cur.execute(bounded)
			first = [row["name"] for row in cur.fetchall()]
		assert first == database_order(conn, order)[:1000]
		conn.close()
	assert bounded_plan.of(TABLE).key == "rank" and not bounded_plan.filesort


def test_rows_that_exist_throughout_appear_once_while_others_are_inserted_and_deleted():
	"""Under deletes and inserts between pages from another connection, rows present from start to end
	appear exactly once and none twice."""
	seen, stable = walk_under_churn("keyset")
	assert len(seen) == len(set(seen)), "a row appeared twice"
	assert stable <= set(seen), f"{len(stable - set(seen))} rows present throughout were skipped"


def test_offset_paging_under_the_same_churn_skips_or_repeats_rows():
	"""The control: the same writes make OFFSET paging lose or repeat rows, so the test above can fail."""
	seen, stable = walk_under_churn("offset")
	assert len(seen) != len(set(seen)) or not stable <= set(seen)


def test_order_and_batch_size_are_checked():
	"""Unknown columns, two columns, SQL in the order and batch sizes outside 1..10,000 are refused."""
	for bad in ("missing", "rank, name", "rank sideways", "rank; drop table x"):
		with pytest.raises(InvalidInput):
			keyset.parse_order(bad, COLUMNS)
	for size in (0, -1, keyset.MAX_BATCH_SIZE + 1, 2.5, True, "100"):
		with pytest.raises(InvalidInput, match="Batch size"):
			keyset.check_batch_size(size)
	assert keyset.check_batch_size(keyset.MAX_BATCH_SIZE) == keyset.MAX_BATCH_SIZE


def test_a_cursor_token_that_is_not_one_is_refused_readably():
	"""Text that is not a [value, name] pair says what a cursor looks like."""
	for token in ("", "garbage", "[1]", '{"a": 1}', "[1, 2]", '[[1], "x"]', "[1, 2, 3]"):
		with pytest.raises(InvalidInput, match="Cannot resume after"):
			keyset.Cursor.from_token(token)
	assert keyset.Cursor.from_token('[null, "ROW-1"]') == keyset.Cursor("ROW-1", None)


def test_a_row_without_the_cursor_columns_is_refused():
	"""A row stripped of its order field (field-level permission) cannot carry the walk on silently."""
	with pytest.raises(InvalidInput, match="rank"):
		keyset.cursor_after({"name": "x"}, keyset.Order("rank"))


# MariaDB's TIME range; pymysql reads a TIME as a timedelta, DATETIME and DATE as datetime and date.
TIME_LIMIT = timedelta(hours=838, minutes=59, seconds=59, microseconds=999_999)
ORDER_VALUES = st.one_of(
	st.tuples(st.just("t"), st.timedeltas(-TIME_LIMIT, TIME_LIMIT)),
	st.tuples(st.just("dt"), st.datetimes(datetime(1000, 1, 1), datetime(9999, 12, 31, 23, 59, 59))),
	st.tuples(st.just("d"), st.dates(date(1000, 1, 1), date(9999, 12, 31))),
	st.tuples(st.just("c"), st.decimals(-(10**12) + 1, 10**12 - 1, places=9)),
	st.tuples(st.just("i"), st.integers(-(2**31), 2**31 - 1)),
)


def test_a_cursor_value_read_back_from_its_token_equals_the_stored_value_in_mariadb():
	"""Any TIME (negative, past 24 h, with microseconds), DATETIME, DATE, DECIMAL or INT a row holds, written
	into a token and read back, is an SQL literal MariaDB finds equal to the row's value, never before or after."""
	with temporary_database("pe_keyset_values") as database:
		conn = connect_database(database)
		with conn.cursor() as cur:
			cur.execute(
				"""CREATE TABLE typed (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(140), t TIME(6), dt DATETIME(6), d DATE,
				c DECIMAL(21, 9), i INT)"""
			)

		@settings(max_examples=300, deadline=None)
		@given(ORDER_VALUES)
		def read_back_equal(column_value):
			column, value = column_value
			with conn.cursor(pymysql.cursors.DictCursor) as cur:
				# pymysql's own TIME literal gets negative minutes wrong: store the seconds instead
				stored = "SEC_TO_TIME(%s)" if column == "t" else "%s"
				param = Decimal(value // keyset.MICROSECOND) / 10**6 if column == "t" else value
				cur.execute(f"INSERT INTO typed (name, {column}) VALUES ('row', {stored})", (param,))
				cur.execute(f"SELECT id, name, {column} FROM typed WHERE id = LAST_INSERT_ID()")
				row = cur.fetchone()
				assert row[column] == value
				token = keyset.cursor_after(row, keyset.Order(column)).token()
				cursor = keyset.Cursor.from_token(token)
				assert cursor.token() == token
				for literal in (conn.literal(keyset.portable(cursor.value)), conn.escape(str(cursor.value))):
					cur.execute(
						f"SELECT {column} = {literal} AS same, {column} < {literal} AS earlier, "
						f"{column} > {literal} AS later FROM typed WHERE id = %s",
						(row["id"],),
					)
					assert cur.fetchone() == {"same": 1, "earlier": 0, "later": 0}, (token, literal)

		try:
			read_back_equal()
		finally:
			conn.close()


def test_a_walk_whose_cursor_does_not_move_stops_with_what_to_do():
	"""Two decimals alike to a float's 15 digits, read as floats (as Frappe reads DECIMAL) and compared as
	text (as the Frappe layer's literal does): descending, the page after the cursor is the same page again,
	and the walk stops with InvalidInput instead of going round forever."""
	order, after, pages = keyset.Order("amount", descending=True), None, 0
	with temporary_database("pe_keyset_stuck") as database:
		conn = connect_database(database)
		conn.decoders[FIELD_TYPE.NEWDECIMAL] = float

		def as_text(value) -> str:
			return conn.escape(str(keyset.portable(value)))

		def page(after: keyset.Cursor | None) -> list[dict]:
			condition = (
				keyset.after_condition(order, after, keyset.quote_identifier, as_text) if after else "1"
			)
			with conn.cursor(pymysql.cursors.DictCursor) as cur:
				cur.execute(
					f"SELECT name, amount FROM amounts WHERE {condition} "
					f"ORDER BY {keyset.order_clause(order, keyset.quote_identifier)} LIMIT 2"
				)
				return cur.fetchall()

		with conn.cursor() as cur:
			cur.execute("CREATE TABLE amounts (name VARCHAR(140) PRIMARY KEY, amount DECIMAL(21, 9))")
			cur.execute(
				"INSERT INTO amounts VALUES ('A', 123456789012.123456789), ('Z', 123456789012.123456788)"
			)
		try:
			with pytest.raises(InvalidInput, match=r"stuck at .*order by another field or by name"):
				while pages < 10:
					pages += 1
					after = keyset.next_cursor(page(after)[-1], order, after)
		finally:
			conn.close()
	assert pages == 2, "the second page is the first again"
