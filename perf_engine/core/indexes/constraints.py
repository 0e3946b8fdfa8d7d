"""What an index enforces that nothing else would: such an index is never dropped.

Never dropped, whatever a finding or a request says: the PRIMARY key; a UNIQUE index
unless another PRIMARY or UNIQUE key that stays makes the same rows unique (its columns
are among this one's, each part at most as long); the last index a foreign key can use
(InnoDB needs one led by the key's columns, on the key's table and on the table it
references; an IGNORED index still serves it). The analysis never proposes these drops and every apply refuses them.
"""

from perf_engine.core.indexes.catalog import ForeignKey, Index, led_by


def enforcer(index: Index, others: list[Index]) -> Index | None:
	"""Another unique key among `others` whose uniqueness implies this index's."""
	for other in others:
		if other is index or not other.unique:
			continue
		if all(any(mine.enforces(part) for part in index.parts) for mine in other.parts):
			return other
	return None


def foreign_key_needing(
	index: Index, table: str, others: list[Index], keys: list[ForeignKey]
) -> ForeignKey | None:
	"""A foreign key that can use this index and no other among `others`."""
	rest = [other for other in others if other is not index]
	for key in keys:
		for columns in key.columns_on(table):
			if led_by(columns, [index]) and not led_by(columns, rest):
				return key
	return None


def refusal(index: Index, table: str, others: list[Index], keys: list[ForeignKey]) -> str | None:
	"""Why dropping `index` while `others` stay would lose a constraint; None when it would not."""
	if index.primary:
		return f"The PRIMARY key of {table} is never dropped: it is what identifies each row"
	if index.unique and not enforcer(index, others):
		return (
			f"UNIQUE index {index.describe()} on {table} is the only key enforcing that uniqueness: "
			"dropping it would let duplicate rows in, so it is never dropped"
		)
	key = foreign_key_needing(index, table, others, keys)
	if key:
		return (
			f"{index.describe()} is the last index foreign key {key.name} "
			f"({key.table} -> {key.referenced_table}) can use, so it is never dropped"
		)
	return None
