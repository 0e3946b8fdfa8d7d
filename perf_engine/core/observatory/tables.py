"""The tables a statement names, read from its text without parsing it: cheap enough for every row shown."""

import re

MAX_TABLES = 10
# After FROM, JOIN, UPDATE or INTO: a backquoted name (Frappe's `tabSales Invoice`), or a bare one.
TABLE = re.compile(r"\b(?:from|join|update|into)\s+(?:`[^`]+`\.)?(`[^`]+`|[a-z_][\w$]*)", re.IGNORECASE)
NOT_TABLES = {"select", "dual", "lateral"}


def tables_named(sql: str) -> list[str]:
	"""Table names in order of first mention, backquotes removed, at most MAX_TABLES."""
	found: list[str] = []
	for match in TABLE.finditer(sql):
		name = match.group(1).strip("`")
		if name.lower() not in NOT_TABLES and name not in found:
			found.append(name)
			if len(found) == MAX_TABLES:
				break
	return found
