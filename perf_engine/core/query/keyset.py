"""Keyset pagination: each page continues after the last key seen, never at an OFFSET.

A page is ordered by one column plus `name` as the tie-break, in the same direction, and the
next page starts strictly after the last (value, name) pair, so the deepest page costs what
the first does and rows added or deleted meanwhile never shift the pages: a row that exists
throughout appears exactly once. MariaDB sorts NULL first ascending and last descending; the
condition after a NULL (or before the NULLs) says so explicitly, since `col > NULL` is never true.
"""

import json
import math
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pymysql

from perf_engine.core.errors import InvalidInput
from perf_engine.core.jobs.fanout import check_table

NAME = "name"
MAX_BATCH_SIZE = 10_000
ASC, DESC = "asc", "desc"
# Order column identifiers are checked against the table's columns, and must look like one.
IDENTIFIER_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Order:
	"""The column pages are ordered by (then `name`), and its direction."""

	column: str = NAME
	descending: bool = False

	@property
	def direction(self) -> str:
		return DESC if self.descending else ASC

	@property
	def columns(self) -> tuple[str, ...]:
		"""The columns a row must carry for its cursor: the order column and `name`."""
		return (NAME,) if self.column == NAME else (self.column, NAME)


@dataclass(frozen=True)
class Cursor:
	"""Where the next page starts: strictly after this `name` (and order `value`)."""

	name: str
	value: Any = None

	def token(self) -> str:
		"""A short text to resume from later (dates, times and decimals as their SQL literals)."""
		return json.dumps([portable(self.value), self.name], default=str, ensure_ascii=False)

	@classmethod
	def from_token(cls, token: str) -> "Cursor":
		"""Read back a `token()`; anything else is refused with what was expected."""
		try:
			value, name = json.loads(token)
		except (TypeError, ValueError):
			raise InvalidInput(
				f"Cannot resume after {token!r}: expected the cursor a batch failure reported, "
				'like \'["2024-01-31", "SINV-0001"]\''
			) from None
		if not isinstance(name, str) or isinstance(value, dict | list):
			raise InvalidInput(f"Cannot resume after {token!r}: its second item must be a name")
		if isinstance(value, float) and not math.isfinite(value):
			raise InvalidInput(f"Cannot resume after {token!r}: its first item must be a column's value")
		return cls(name=name, value=value)


def portable(value: Any) -> Any:
	"""An order value as SQL text reads it back: a TIME (pymysql gives a timedelta) as `[-]HH:MM:SS.ffffff`.

	str() of a timedelta writes '1 day, 2:00:00' or '-1 day, 23:00:00', which MariaDB reads as one
	second, and pymysql's own literal gets negative times with minutes wrong; other values pass as they are."""
	if not isinstance(value, timedelta):
		return value
	seconds, micro = divmod(abs(value) // MICROSECOND, 1_000_000)
	minutes, second = divmod(seconds, 60)
	hours, minute = divmod(minutes, 60)
	sign = "-" if value < timedelta(0) else ""
	return f"{sign}{hours:02d}:{minute:02d}:{second:02d}.{micro:06d}"


def check_batch_size(batch_size: int) -> int:
	"""A page of 1 to MAX_BATCH_SIZE rows: a larger page is an unbounded read in disguise."""
	if (
		isinstance(batch_size, bool)
		or not isinstance(batch_size, int)
		or not 1 <= batch_size <= MAX_BATCH_SIZE
	):
		raise InvalidInput(
			f"Batch size must be a whole number from 1 to {MAX_BATCH_SIZE}, got {batch_size!r}"
		)
	return batch_size


def parse_order(order_by: str | None, columns: Collection[str]) -> Order:
	"""`None`, `"field"`, `"field asc"` or `"field desc"` on one of `columns`; `name` is added by the pager."""
	if not order_by or not order_by.strip():
		return Order()
	words = order_by.replace("`", "").split()
	direction = words[1].lower() if len(words) == 2 else ASC
	column = words[0]
	if len(words) > 2 or direction not in (ASC, DESC) or not set(column) <= IDENTIFIER_CHARS:
		raise InvalidInput(
			f"Order must be one column and an optional asc or desc (name breaks ties), got {order_by!r}"
		)
	if column not in columns:
		raise InvalidInput(f"Cannot order by {column!r}: the table has no such column")
	return Order(column, direction == DESC)


def cursor_after(row: Mapping[str, Any], order: Order) -> Cursor:
	"""The cursor after `row`, which must carry the order column and `name`."""
	missing = [c for c in order.columns if c not in row]
	if missing:
		raise InvalidInput(
			f"Rows lack {', '.join(missing)}, which the cursor needs: a field you may not read cannot order a stream"
		)
	return Cursor(name=row[NAME], value=None if order.column == NAME else row[order.column])


def next_cursor(row: Mapping[str, Any], order: Order, previous: Cursor | None) -> Cursor:
	"""The cursor after a page's last `row`, refused when it has not moved past `previous`.

	A page that ends where it started means MariaDB compares the order values otherwise than it sorts
	them (a DECIMAL beyond a float's 15 digits, which Frappe reads as a float): the walk would go round
	forever, so it stops with what to do instead."""
	cursor = cursor_after(row, order)
	if previous is not None and cursor.token() == previous.token():
		raise InvalidInput(
			f"The walk by {order.column} is stuck at {cursor.token()}: its values compare otherwise than they "
			"sort (a decimal with more than 15 digits read as a float); order by another field or by name"
		)
	return cursor


def after_condition(
	order: Order, cursor: Cursor, quote: Callable[[str], str], literal: Callable[[Any], str]
) -> str:
	"""SQL for "comes after `cursor` in `order`"; `quote` names a column, `literal` escapes a value."""
	name, after_name = quote(NAME), literal(cursor.name)
	later = "<" if order.descending else ">"
	if order.column == NAME:
		return f"{name} {later} {after_name}"
	column = quote(order.column)
	if cursor.value is None:
		same_null = f"({column} IS NULL AND {name} {later} {after_name})"
		# NULLs come first ascending, so every non-NULL is still ahead; descending they come last.
		return same_null if order.descending else f"({same_null} OR {column} IS NOT NULL)"
	value = literal(cursor.value)
	condition = f"{column} {later} {value} OR ({column} = {value} AND {name} {later} {after_name})"
	return f"({condition} OR {column} IS NULL)" if order.descending else f"({condition})"


def first_condition(order: Order, table: str, quote: Callable[[str], str]) -> str | None:
	"""An always-true lower bound for the first page, so MariaDB reads it by the order column's index.

	Without a WHERE on that column the optimizer prices `ORDER BY col, name LIMIT n` as a full
	scan and filesort (100 ms at 200,000 rows, growing with the table); a bound from the index's
	own MIN (read from the index alone) turns it into the range read the later pages get."""
	if order.column == NAME:
		return None
	column = quote(order.column)
	lowest = f"SELECT MIN({quote_identifier(order.column)}) FROM {quote_identifier(table)}"
	return f"({column} IS NULL OR {column} >= ({lowest}))"


def order_clause(order: Order, quote: Callable[[str], str]) -> str:
	"""ORDER BY text matching `after_condition`: the column, then `name`, both in one direction."""
	return ", ".join(f"{quote(c)} {order.direction}" for c in order.columns)


def quote_identifier(column: str) -> str:
	return "`" + column.replace("`", "``") + "`"


def pages(
	conn: pymysql.Connection,
	table: str,
	columns: Collection[str],
	order: Order,
	batch_size: int,
	after: Cursor | None = None,
) -> Iterator[list[dict]]:
	"""Keyset pages of a table by plain SQL (the CLI, the benchmark): `columns` and the cursor's columns."""
	check_batch_size(batch_size)
	table = check_table(conn, table)
	selected = ", ".join(quote_identifier(c) for c in dict.fromkeys([*columns, *order.columns]))
	base = f"SELECT {selected} FROM {quote_identifier(table)}"
	ordered = f" ORDER BY {order_clause(order, quote_identifier)} LIMIT {batch_size}"
	while True:
		if after is None:
			condition = first_condition(order, table, quote_identifier)
		else:
			condition = after_condition(order, after, quote_identifier, lambda v: conn.literal(portable(v)))
		where = f" WHERE {condition}" if condition else ""
		with conn.cursor(pymysql.cursors.DictCursor) as cur:
			cur.execute(base + where + ordered)
			rows = cur.fetchall()
		if not rows:
			return
		yield rows
		if len(rows) < batch_size:
			return
		after = next_cursor(rows[-1], order, after)
