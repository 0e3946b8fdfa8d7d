"""One corpus statement and the table uses the reader must find in it."""

from dataclasses import dataclass, field

from perf_engine.core.indexes import sql

REASONS = {"or": sql.OR_BRANCHES, "function": sql.FUNCTION, "wildcard": sql.LEADING_WILDCARD}


@dataclass(frozen=True)
class Use:
	"""Expected columns of one table occurrence; `bad` entries are `column:or|function|wildcard`."""

	table: str
	eq: list[str] = field(default_factory=list)
	rng: list[str] = field(default_factory=list)
	join: list[str] = field(default_factory=list)
	order: list[str] = field(default_factory=list)
	group: list[str] = field(default_factory=list)
	bad: list[str] = field(default_factory=list)

	def as_reading(self) -> tuple:
		unindexable = sorted((c, REASONS[k]) for c, k in (b.split(":") for b in self.bad))
		return (self.table, self.eq, self.rng, self.join, self.order, self.group, unindexable)


class Case:
	"""A statement from one source (Frappe, an ERPNext report, a digest, a slow log) and its uses."""

	def __init__(self, source: str, statement: str, *uses: Use):
		self.source = source
		self.sql = statement
		self.uses = uses

	def expected(self) -> list[tuple]:
		return sorted(use.as_reading() for use in self.uses)


def reading_of(use: sql.TableUse) -> tuple:
	"""The same shape as `Use.as_reading`, from what the reader found."""
	return (
		use.table,
		use.equality,
		use.range,
		use.join,
		use.order_by,
		use.group_by,
		sorted(use.unindexable),
	)
