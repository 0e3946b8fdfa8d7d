"""What one SQL statement asks of each table's indexes, read with sqlglot's MySQL parser.

For every table a query reads (in subqueries, derived tables, UNION branches, JOINs and
EXISTS too, and the SELECT of INSERT, REPLACE and CREATE TABLE ... SELECT), in order of
appearance: columns compared for equality (=, <=>, IN, IS NULL), by range (<, >, BETWEEN,
LIKE 'prefix%'), joined to another table's column, in an ORDER BY an index can serve (plain
columns of one table) and in GROUP BY; and the predicates no index can serve, with why (an OR
between different columns, a function around the column, a LIKE pattern with a leading wildcard).

Text is normalised first (placeholders `%s`, `%(name)s` and `?`, performance_schema digest
marks, comments, long literal lists). Statements that are too long, unterminated, truncated
digests or that sqlglot cannot parse (or fails on, whatever it raises) are refused with a
reason, never guessed.
"""

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from perf_engine.core.errors import UnreadableStatement
from perf_engine.core.indexes.sql_text import normalise

logger = logging.getLogger(__name__)

DIALECT = "mysql"

OR_BRANCHES = "OR between different columns"
FUNCTION = "function or expression around the column"
LEADING_WILDCARD = "LIKE pattern starts with a wildcard"

NOT_UNDERSTOOD = "sqlglot fell back to an unparsed command"
READER_FAILED = "perf_engine's reader failed on the parsed statement"
NESTED = "nested too deeply"

EQUALITY_OPS = (exp.EQ, exp.NullSafeEQ)
RANGE_OPS = (exp.GT, exp.GTE, exp.LT, exp.LTE)
SCOPE_NODES = (exp.Select, exp.Update, exp.Delete)
QUERY_STATEMENTS = (exp.Query, exp.Update, exp.Delete, exp.Insert)
QUERY_KEYWORDS = {"SELECT", "WITH", "UPDATE", "DELETE", "INSERT", "REPLACE"}


@dataclass
class TableUse:
	"""The columns one occurrence of a table in a statement is filtered, joined, sorted and grouped by."""

	table: str
	database: str | None = None
	equality: list[str] = field(default_factory=list)
	range: list[str] = field(default_factory=list)
	join: list[str] = field(default_factory=list)
	order_by: list[str] = field(default_factory=list)
	group_by: list[str] = field(default_factory=list)
	unindexable: list[tuple[str, str]] = field(default_factory=list)  # (column, why)

	def add(self, role: str, column: str) -> None:
		columns = getattr(self, role)
		if column not in columns:
			columns.append(column)

	def refuse(self, column: str, why: str) -> None:
		if (column, why) not in self.unindexable:
			self.unindexable.append((column, why))


@dataclass
class Reading:
	"""One statement's table uses, or why it was not read (`unread`); non-queries give neither."""

	uses: list[TableUse] = field(default_factory=list)
	unread: str | None = None


ColumnsOf = Callable[[str], Collection[str] | None]


def parse(sql: str) -> list[exp.Expression | None]:
	"""sqlglot's trees of normalised text; UnreadableStatement with the reason whatever goes wrong."""
	text = normalise(sql)
	try:
		return sqlglot.parse(text, read=DIALECT)
	except RecursionError:
		raise UnreadableStatement(NESTED) from None
	except SqlglotError as error:
		raise UnreadableStatement(f"sqlglot could not parse it: {str(error).splitlines()[0][:200]}") from None
	except Exception as error:
		# sqlglot's own slips: `DATE_SUB(NOW())` raises AttributeError, `SHOW FULL` IndexError.
		raise UnreadableStatement(f"sqlglot failed on it ({type(error).__name__})") from None


def read(sql: str, columns_of: ColumnsOf | None = None) -> Reading:
	"""Every table use of a statement; `columns_of(table)` (the catalog) resolves and checks columns."""
	try:
		trees = parse(sql)
	except UnreadableStatement as refused:
		return Reading(unread=str(refused))
	uses: list[TableUse] = []
	for tree in trees:
		if isinstance(tree, exp.Command) and str(tree.this).upper() in QUERY_KEYWORDS:
			return Reading(unread=NOT_UNDERSTOOD)
		if runs_a_query(tree):
			try:
				uses += StatementReader(tree, columns_of).uses()
			except RecursionError:
				return Reading(unread=NESTED)
			except Exception:
				# One odd tree must not stop a weekly analysis of hundreds of statements.
				logger.exception("Reading a parsed statement failed: %.200s", sql)
				return Reading(unread=READER_FAILED)
	return Reading(uses=uses)


def runs_a_query(tree: exp.Expression | None) -> bool:
	"""A query, UPDATE, DELETE or INSERT, or a CREATE TABLE that fills itself from a SELECT (a view's
	SELECT only runs when the view is read, so its definition reads nothing)."""
	if isinstance(tree, exp.Create):
		kind = str(tree.args.get("kind") or "").upper()
		return kind == "TABLE" and isinstance(tree.args.get("expression"), exp.Query)
	return isinstance(tree, QUERY_STATEMENTS)


# The tables an outer join's ON condition filters (None: every table, as WHERE and an inner join's ON do).
Filtered = tuple[TableUse, ...] | None


def within(use: TableUse | None, only: Filtered) -> bool:
	"""Whether an ON or WHERE condition that filters `only` filters this table use."""
	return only is None or any(use is filtered for filtered in only)


@dataclass
class Joined:
	"""One JOIN of a scope: its table use (None for a derived table) and the uses before it."""

	join: exp.Join
	use: TableUse | None
	before: tuple[TableUse, ...]


@dataclass
class Scope:
	"""One SELECT, UPDATE or DELETE: its own tables by alias (None for a derived table), its JOINs."""

	node: exp.Expression
	local: dict[str, TableUse | None]
	joined: list[Joined]


class StatementReader:
	"""Walks each query scope of one parsed statement and records its tables' index-relevant columns."""

	def __init__(self, tree: exp.Expression, columns_of: ColumnsOf | None):
		self.tree = tree
		self.columns_of = columns_of
		self.known: dict[str, dict[str, str] | None] = {}
		self.ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
		self.found: list[TableUse] = []

	def uses(self) -> list[TableUse]:
		for node in self.tree.find_all(*SCOPE_NODES):
			scope = self.scope(node)
			for joined in scope.joined:
				self.join_condition(joined, scope)
			where = node.args.get("where")
			if where is not None:
				self.conditions(where.this, scope, only=None)
			self.sorting(scope, "order", "order_by")
			self.sorting(scope, "group", "group_by")
		return self.found

	def scope(self, node: exp.Expression) -> Scope:
		"""This node's FROM and JOIN sources, parenthesised join groups included, in order."""
		roots = [(node.this, None)] if isinstance(node, (exp.Update, exp.Delete)) else []
		if node.args.get("from_") is not None:
			roots.append((node.args["from_"].this, None))
		roots += [(join.this, join) for join in node.args.get("joins") or []]
		scope, stack = Scope(node, {}, []), list(reversed(roots))
		while stack:
			source, join = stack.pop()
			if not isinstance(source, exp.Expression):
				continue  # sqlglot leaves odd statements (`DELETE DELETE`) without a target table
			if isinstance(source, exp.Subquery) and not isinstance(source.this, exp.Query):
				stack.append((source.this, join))
				continue
			before = tuple(use for use in scope.local.values() if use is not None)
			use = self.source(source, scope.local)
			if join is not None:
				scope.joined.append(Joined(join, use, before))
			stack += reversed([(nested.this, nested) for nested in source.args.get("joins") or []])
		return scope

	def source(self, source: exp.Expression, local: dict[str, TableUse | None]) -> TableUse | None:
		"""Register one source under its alias; a real table (not a CTE) gets a TableUse."""
		alias = source.alias_or_name
		if isinstance(source, exp.Table) and isinstance(source.this, exp.Identifier):
			if source.db or source.name not in self.ctes:
				use = TableUse(source.name, source.db or None)
				local[alias] = use
				self.found.append(use)
				return use
		if alias:
			local[alias] = None
		return None

	def join_condition(self, joined: Joined, scope: Scope) -> None:
		"""An inner JOIN's ON works like WHERE; a LEFT JOIN's ON only filters the joined table, a RIGHT JOIN's
		only the tables before it (MariaDB reads `a RIGHT JOIN b` as `b LEFT JOIN a`)."""
		join, side = joined.join, (joined.join.side or "").upper()
		outer: Filtered = None
		if side == "LEFT":
			outer = (joined.use,) if joined.use is not None else ()
		elif side == "RIGHT":
			outer = joined.before
		if outer == ():
			return
		if join.args.get("on") is not None:
			self.conditions(join.args["on"], scope, outer)
		for column in join.args.get("using") or []:
			if outer is None:
				name = self.checked(joined.use, column.name) if joined.use else None
				if name:
					joined.use.add("join", name)
				continue
			having = [(use, name) for use in outer if (name := self.checked(use, column.name))]
			if len(having) == 1:
				having[0][0].add("equality", having[0][1])

	def conditions(self, condition: exp.Expression, scope: Scope, only: Filtered) -> None:
		"""Each AND-ed predicate on its own; OR and XOR groups as a whole."""
		stack = [condition]
		while stack:
			node = stack.pop()
			if isinstance(node, exp.And):
				stack += [node.expression, node.this]
			elif isinstance(node, exp.Paren):
				stack.append(node.this)
			elif isinstance(node, (exp.Or, exp.Xor)):
				self.disjunction(node, scope, only)
			else:
				self.predicate(node, scope, only)

	def disjunction(self, node: exp.Expression, scope: Scope, only: Filtered) -> None:
		"""OR branches that all pin one column (`a = 1 OR a IS NULL OR a < 0`) are one IN or range on it,
		as MariaDB's range optimizer reads them; any other OR leaves its columns to no single index."""
		if isinstance(node, exp.Or):
			branches = [self.sargable(branch.unnest(), scope) for branch in node.flatten()]
			if all(branches) and len({(id(use), name) for use, name, _ in branches}) == 1:
				use, name, _ = branches[0]
				if within(use, only):
					use.add("equality" if all(r == "equality" for *_, r in branches) else "range", name)
				return
		self.refuse(self.local_columns(node, scope), OR_BRANCHES, only)

	def sargable(self, node: exp.Expression, scope: Scope) -> tuple[TableUse, str, str] | None:
		"""(use, column, equality|range) when `node` compares a plain column with constants."""
		if isinstance(node, exp.Escape):
			node = node.this
		role, column_side, value_sides = self.oriented(node, scope)
		resolved = self.bare(column_side, scope)
		if role in (None, "wildcard") or resolved is None:
			return None
		return (*resolved, role) if all(self.constant(v, scope) for v in value_sides) else None

	def predicate(self, node: exp.Expression, scope: Scope, only: Filtered) -> None:
		"""One comparison: equality, range, join, or a column no index can serve here."""
		if isinstance(node, exp.Escape):
			node = node.this
		if isinstance(node, EQUALITY_OPS) and self.join_pair(node, scope, only):
			return
		role, column_side, value_sides = self.oriented(node, scope)
		if role is None or not all(self.constant(value, scope) for value in value_sides):
			return
		if isinstance(column_side, exp.Tuple) and not isinstance(node, exp.In):
			return  # a row comparison, `(a, b) < (1, 2)`: MariaDB reads no index range from it
		for target in column_side.expressions if isinstance(column_side, exp.Tuple) else [column_side]:
			self.record(target, role, scope, only)

	def oriented(
		self, node: exp.Expression, scope: Scope
	) -> tuple[str | None, exp.Expression | None, list[exp.Expression]]:
		"""The predicate's shape with the plain column on the column side (`5 < a` reads as `a > 5`)."""
		role, column_side, value_sides = self.shape(node)
		symmetric = isinstance(node, (*EQUALITY_OPS, *RANGE_OPS))
		if symmetric and self.bare(column_side, scope) is None and self.bare(node.expression, scope):
			return role, node.expression, [node.this]
		return role, column_side, value_sides

	def shape(self, node: exp.Expression) -> tuple[str | None, exp.Expression | None, list[exp.Expression]]:
		"""The role a predicate can give its column, the column side, and the value sides."""
		if node.args.get("negate"):
			return None, None, []  # `NOT LIKE 'x%'`, `IS NOT NULL`: no index range reads what is left out
		if isinstance(node, EQUALITY_OPS):
			return "equality", node.this, [node.expression]
		if isinstance(node, RANGE_OPS):
			return "range", node.this, [node.expression]
		if isinstance(node, exp.In) and not node.args.get("unnest"):
			query = node.args.get("query")
			return "equality", node.this, [*node.expressions, *([query] if query is not None else [])]
		if isinstance(node, exp.Between):
			return "range", node.this, [node.args["low"], node.args["high"]]
		if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
			return "equality", node.this, []
		if isinstance(node, exp.Like):
			pattern = node.expression
			if isinstance(pattern, exp.Literal) and pattern.is_string:
				return ("wildcard" if pattern.this[:1] in ("%", "_") else "range"), node.this, [pattern]
		return None, None, []

	def record(self, target: exp.Expression, role: str, scope: Scope, only: Filtered) -> None:
		"""Add a plain column to its role; a column inside an expression is refused, with why."""
		resolved = self.bare(target, scope)
		if resolved is None:
			self.refuse(self.local_columns(target, scope), FUNCTION, only)
			return
		use, name = resolved
		if not within(use, only):
			return
		if role == "wildcard":
			use.refuse(name, LEADING_WILDCARD)
		else:
			use.add(role, name)

	def refuse(self, columns: list[tuple[TableUse | None, str]], why: str, only: Filtered) -> None:
		for use, name in columns:
			if use is not None and within(use, only):
				use.refuse(name, why)

	def join_pair(self, node: exp.Expression, scope: Scope, only: Filtered) -> bool:
		"""`a.x = b.y` between two of this scope's tables: join columns (equality for an outer join's filtered table).

		True when the predicate compares this scope's columns on both sides, so it is no filter."""
		left, right = self.plain(node.this, scope), self.plain(node.expression, scope)
		if left is None or right is None:
			return bool(self.local_columns(node.this, scope) and self.local_columns(node.expression, scope))
		if left[0] is right[0]:
			return True
		for (use, name), (other, _) in ((left, right), (right, left)):
			if use is None:
				continue
			if only is None:
				use.add("join", name)
			elif within(use, only) and not within(other, only):
				use.add("equality", name)
		return True

	def sorting(self, scope: Scope, clause: str, role: str) -> None:
		"""ORDER BY / GROUP BY columns; select aliases and positions stand for their expressions.

		As in MariaDB, ORDER BY looks at select aliases first, GROUP BY at the tables' columns first. An
		index serves an ORDER BY only when every item is a plain column of one table: any other ORDER BY
		(`FIELD(status, ...), modified`, columns of two tables) is a filesort and gives no sort column."""
		node = scope.node.args.get(clause)
		if node is None:
			return
		selected = scope.node.args.get("expressions") or []
		aliases = {e.alias.lower(): e.this for e in selected if isinstance(e, exp.Alias)}
		found = []
		for item in node.expressions:
			target = item.this if isinstance(item, exp.Ordered) else item
			if isinstance(target, exp.Literal) and not target.is_string and target.this.isdigit():
				position = int(target.this) - 1
				target = selected[position].unalias() if 0 <= position < len(selected) else None
			elif isinstance(target, exp.Column) and not target.table and target.name.lower() in aliases:
				if clause == "order" or not self.confirmed(target, scope):
					target = aliases[target.name.lower()]
			found.append(self.bare(target, scope))
		if clause == "order" and (None in found or len({id(use) for use, _ in found}) > 1):
			return
		for resolved in found:
			if resolved:
				resolved[0].add(role, resolved[1])

	def confirmed(self, column: exp.Column, scope: Scope) -> bool:
		"""The catalog knows this column on one of this scope's tables."""
		resolved = self.bare(column, scope)
		return bool(resolved) and self.catalog(resolved[0].table) is not None

	def bare(self, node: exp.Expression | None, scope: Scope) -> tuple[TableUse, str] | None:
		"""(table use, column) when `node` is a plain column of one of this scope's tables."""
		resolved = self.plain(node, scope)
		return resolved if resolved and resolved[0] is not None else None

	def plain(self, node: exp.Expression | None, scope: Scope) -> tuple[TableUse | None, str] | None:
		"""`resolve` for `node` when it is a plain column (in parentheses or not), else None."""
		while isinstance(node, exp.Paren):
			node = node.this
		if not isinstance(node, exp.Column) or not isinstance(node.this, exp.Identifier):
			return None
		return self.resolve(node, scope)

	def resolve(self, column: exp.Column, scope: Scope) -> tuple[TableUse | None, str] | None:
		"""(use, name) for a column of one of this scope's tables; (None, name) for a column of this
		scope that no table can take (a derived table's, unknown to the catalog, or ambiguous);
		None for a column of an enclosing query, fixed while this one runs."""
		if column.table:
			if column.table not in scope.local:
				return None
			use = scope.local[column.table]
			name = self.checked(use, column.name) if use else None
			return (use, name) if use and name else (None, column.name)
		sources = list(scope.local.values())
		if len(sources) == 1 and sources[0] is not None:
			name = self.checked(sources[0], column.name)
			return (sources[0], name) if name else None
		if any(use is None or self.catalog(use.table) is None for use in sources):
			return (None, column.name)
		# Among several tables only the catalog can say whose column it is.
		found = [(use, name) for use in sources if (name := self.checked(use, column.name))]
		return found[0] if len(found) == 1 else (None, column.name) if found else None

	def checked(self, use: TableUse, column: str) -> str | None:
		"""The catalog's spelling of a column of this table, None if it has no such column."""
		known = self.catalog(use.table)
		if known is None:
			return column
		return known.get(column.lower())

	def catalog(self, table: str) -> dict[str, str] | None:
		"""The table's columns by lower-case name, None when there is no catalog or it does not know it."""
		if self.columns_of is None:
			return None
		if table not in self.known:
			names = self.columns_of(table)
			self.known[table] = None if names is None else {name.lower(): name for name in names}
		return self.known[table]

	def local_columns(self, node: exp.Expression, scope: Scope) -> list[tuple[TableUse | None, str]]:
		"""Columns of this scope inside `node` (see `resolve`), not counting nested queries."""
		found, stack = [], [node]
		while stack:
			current = stack.pop()
			if isinstance(current, exp.Column) and isinstance(current.this, exp.Identifier):
				resolved = self.resolve(current, scope)
				if resolved:
					found.append(resolved)
			elif not isinstance(current, (exp.Query, exp.Subquery)):
				stack += reversed(list(current.iter_expressions()))
		return found

	def constant(self, node: exp.Expression, scope: Scope) -> bool:
		"""True when no column of this scope's own tables appears in it: fixed while the scope runs."""
		return not self.local_columns(node, scope)
