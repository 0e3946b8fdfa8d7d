"""Benchmark baseline only: perf_engine's former hand-written SQL reader, kept verbatim so
`bench_sql_reader.py` can time (and score) it beside the sqlglot reader in the same run.
It is not used by the app: it never ends on an unterminated backtick, so the benchmark only
feeds it the corpus's well-formed statements.

A small real SQL reader: a tokenizer and a recursive-descent parser for the parts of
SELECT, UPDATE and DELETE statements that decide index use.

It maps each statement to, per table: columns compared for equality (=, IN, IS NULL,
<=>), columns compared by range (<, >, BETWEEN, LIKE 'prefix%'), and ORDER BY columns.
Predicates joined by OR are left out: no single composite index serves both branches.
"""

from collections import defaultdict
from dataclasses import dataclass, field

KEYWORDS = {
	"select",
	"from",
	"where",
	"join",
	"inner",
	"left",
	"right",
	"outer",
	"cross",
	"straight_join",
	"on",
	"using",
	"and",
	"or",
	"not",
	"in",
	"between",
	"like",
	"is",
	"null",
	"order",
	"by",
	"group",
	"having",
	"limit",
	"offset",
	"as",
	"update",
	"set",
	"delete",
	"asc",
	"desc",
	"for",
	"union",
	"lock",
	"share",
	"mode",
	"escape",
}
EQUALITY_OPS = {"=", "<=>"}
RANGE_OPS = {"<", ">", "<=", ">="}
CLAUSE_END = {"group", "having", "order", "limit", "for", "union", "lock", ";"}
TWO_CHAR_OPS = {"<=", ">=", "<>", "!=", "||", "&&"}


@dataclass
class Token:
	kind: str  # ident, keyword, string, number, op, punct
	value: str


@dataclass
class TableUse:
	equality: list[str] = field(default_factory=list)
	range: list[str] = field(default_factory=list)
	order_by: list[str] = field(default_factory=list)


def tokenize(sql: str) -> list[Token]:
	"""Split SQL into tokens; quoted identifiers and strings keep their exact text."""
	tokens, i, n = [], 0, len(sql)
	while i < n:
		char = sql[i]
		if char.isspace():
			i += 1
		elif sql.startswith("--", i) or char == "#":
			i = sql.find("\n", i) if "\n" in sql[i:] else n
		elif sql.startswith("/*", i):
			i = sql.find("*/", i) + 2 if "*/" in sql[i:] else n
		elif char == "`":
			end = sql.find("`", i + 1)
			tokens.append(Token("ident", sql[i + 1 : end]))
			i = end + 1
		elif char in "'\"":
			j = i + 1
			while j < n and sql[j] != char:
				j += 2 if sql[j] == "\\" else 1
			tokens.append(Token("string", sql[i + 1 : j]))
			i = j + 1
		elif char.isdigit():
			j = i
			while j < n and (sql[j].isalnum() or sql[j] == "."):
				j += 1
			tokens.append(Token("number", sql[i:j]))
			i = j
		elif char.isalpha() or char in "_$@":
			j = i
			while j < n and (sql[j].isalnum() or sql[j] in "_$@"):
				j += 1
			word = sql[i:j]
			tokens.append(
				Token("keyword", word.lower()) if word.lower() in KEYWORDS else Token("ident", word)
			)
			i = j
		elif sql[i : i + 3] == "<=>":
			tokens.append(Token("op", "<=>"))
			i += 3
		elif sql[i : i + 2] in TWO_CHAR_OPS:
			tokens.append(Token("op", sql[i : i + 2]))
			i += 2
		elif char in "=<>!+-*/%":
			tokens.append(Token("op", char))
			i += 1
		else:
			tokens.append(Token("punct", char))
			i += 1
	return tokens


class Parser:
	"""Walks the token list once, collecting tables, aliases and indexable predicates."""

	def __init__(self, tokens: list[Token]):
		self.tokens = tokens
		self.pos = 0
		self.aliases: dict[str, str] = {}
		self.tables: list[str] = []
		self.predicates: list[tuple[str | None, str, str]] = []  # (qualifier, column, equality|range)
		self.order: list[tuple[str | None, str]] = []

	def peek(self, offset: int = 0) -> Token | None:
		index = self.pos + offset
		return self.tokens[index] if index < len(self.tokens) else None

	def at(self, *values: str) -> bool:
		token = self.peek()
		return token is not None and token.kind in ("keyword", "op", "punct") and token.value in values

	def advance(self) -> Token:
		token = self.tokens[self.pos]
		self.pos += 1
		return token

	def parse(self) -> None:
		while self.peek():
			if self.at("from", "join", "update", "straight_join"):
				self.advance()
				self.table_list()
			elif self.at("where", "on", "having"):
				self.advance()
				self.condition(negated=False)
			elif self.at("order") and self.peek(1) and self.peek(1).value == "by":
				self.pos += 2
				self.order_by()
			else:
				self.advance()

	def table_list(self) -> None:
		"""`t [AS] a, u b` up to the next clause keyword."""
		while self.peek() and self.peek().kind == "ident":
			name = self.advance().value
			if self.at(".") and self.peek(1) and self.peek(1).kind == "ident":
				self.advance()
				name = self.advance().value
			self.tables.append(name)
			self.aliases[name] = name
			if self.at("as"):
				self.advance()
			if self.peek() and self.peek().kind == "ident":
				self.aliases[self.advance().value] = name
			if not self.at(","):
				return
			self.advance()

	def column_ref(self) -> tuple[str | None, str] | None:
		"""`col`, `t.col` or `db.t.col`; None if the next tokens are not a column."""
		if not self.peek() or self.peek().kind != "ident" or (self.peek(1) and self.peek(1).value == "("):
			return None
		parts = [self.advance().value]
		while self.at(".") and self.peek(1) and self.peek(1).kind == "ident":
			self.advance()
			parts.append(self.advance().value)
		return (parts[-2] if len(parts) > 1 else None), parts[-1]

	def condition(self, negated: bool) -> None:
		"""A disjunction of conjunctions; if this level has an OR, none of its predicates count."""
		start = len(self.predicates)
		self.term(negated)
		saw_or = False
		while self.at("and", "or", "&&", "||"):
			saw_or |= self.advance().value in ("or", "||")
			self.term(negated)
		if saw_or:
			del self.predicates[start:]

	def term(self, negated: bool) -> None:
		if self.at("not"):
			self.advance()
			self.term(not negated)
			return
		if self.at("("):
			self.advance()
			if self.at("select"):
				self.skip_parenthesised()
				return
			self.condition(negated)
			if self.at(")"):
				self.advance()
			return
		start = self.pos
		column = self.column_ref()
		if column is None:
			self.pos = start
			self.skip_expression()
			return
		kind = self.predicate_kind()
		if kind and not negated:
			self.predicates.append((*column, kind))

	def predicate_kind(self) -> str | None:
		"""Consume the operator and its operand; say whether an index can use it."""
		token = self.peek()
		if token is None:
			return None
		if token.value in EQUALITY_OPS:
			self.advance()
			return "equality" if self.operand() else None
		if token.value in RANGE_OPS:
			self.advance()
			return "range" if self.operand() else None
		if token.value == "in":
			self.advance()
			self.skip_parenthesised()
			return "equality"
		if token.value == "between":
			self.advance()
			self.operand()
			if self.at("and"):
				self.advance()
			self.operand()
			return "range"
		if token.value == "like":
			self.advance()
			pattern = self.peek()
			self.operand()
			return (
				"range"
				if pattern and pattern.kind == "string" and not pattern.value.startswith(("%", "_"))
				else None
			)
		if token.value == "is":
			self.advance()
			if self.at("not"):
				self.advance()
				self.advance()
				return None
			self.advance()
			return "equality"
		self.skip_expression()
		return None

	def operand(self) -> bool:
		"""A literal or placeholder makes the predicate indexable; a column or function does not."""
		token = self.peek()
		if token is None:
			return False
		if token.kind in ("string", "number") or token.value in ("%", "?", "null"):
			self.advance()
			if token.value == "%" and self.peek() and self.peek().value == "s":
				self.advance()
			return True
		if token.kind == "ident" and self.peek(1) and self.peek(1).value == "(":
			self.advance()
			self.skip_parenthesised()
			return True
		self.column_ref()
		return False

	def skip_parenthesised(self) -> None:
		depth = 1 if self.tokens[self.pos - 1].value == "(" else 0
		if depth == 0 and self.at("("):
			self.advance()
			depth = 1
		while self.peek() and depth:
			value = self.advance().value
			depth += {"(": 1, ")": -1}.get(value, 0)

	def skip_expression(self) -> None:
		while (
			self.peek() and not self.at("and", "or", ")", *CLAUSE_END) and self.peek().value not in CLAUSE_END
		):
			if self.at("("):
				self.advance()
				self.skip_parenthesised()
			else:
				self.advance()

	def order_by(self) -> None:
		while True:
			column = self.column_ref()
			if column:
				self.order.append(column)
			if self.at("asc", "desc"):
				self.advance()
			if not self.at(","):
				return
			self.advance()


def table_uses(sql: str) -> dict[str, TableUse]:
	"""Per table: equality, range and ORDER BY columns of one statement, in order of appearance."""
	parser = Parser(tokenize(sql))
	parser.parse()
	uses: dict[str, TableUse] = defaultdict(TableUse)
	single = parser.tables[0] if len(set(parser.tables)) == 1 else None

	def table_of(qualifier: str | None) -> str | None:
		return parser.aliases.get(qualifier) if qualifier else single

	for qualifier, column, kind in parser.predicates:
		table = table_of(qualifier)
		if table and kind in ("equality", "range"):
			target = getattr(uses[table], kind)
			if column not in target:
				target.append(column)
	for qualifier, column in parser.order:
		table = table_of(qualifier)
		if table and column not in uses[table].order_by:
			uses[table].order_by.append(column)
	return dict(uses)
