"""One index finding with its evidence and the exact DDL it would run."""

import hashlib
from dataclasses import asdict, dataclass, field

HIGH_ROWS = 100_000
MEDIUM_ROWS = 50_000
HIGH, MEDIUM, LOW = "HIGH", "MEDIUM", "LOW"
ADD, DROP = "add", "drop"
MAX_INDEX_NAME = 64


@dataclass
class Recommendation:
	table: str
	columns: tuple[str, ...]
	kind: str
	priority: str
	reason: str
	rows: int
	source: str  # schema, known, workload, redundant, unused
	index_name: str = ""
	evidence: dict = field(default_factory=dict)
	total_time_s: float = 0.0

	def __post_init__(self) -> None:
		self.index_name = self.index_name or index_name(self.columns)

	@property
	def key(self) -> str:
		"""Stable identity across analysis runs: table, columns and kind."""
		raw = f"{self.table}|{','.join(self.columns)}|{self.kind}"
		return hashlib.sha1(raw.encode()).hexdigest()[:16]

	@property
	def ddl(self) -> str:
		return ddl(self.table, self.index_name, self.columns, self.kind)

	def as_dict(self) -> dict:
		return {**asdict(self), "key": self.key, "ddl": self.ddl}


def index_name(columns: tuple[str, ...]) -> str:
	"""`customer_posting_date_index`, shortened with a hash when too long for MariaDB."""
	name = "_".join(columns) + "_index"
	if len(name) <= MAX_INDEX_NAME:
		return name
	return name[: MAX_INDEX_NAME - 9] + "_" + hashlib.sha1(name.encode()).hexdigest()[:8]


def quote(identifier: str) -> str:
	return "`" + identifier.replace("`", "``") + "`"


def ddl(table: str, name: str, columns: tuple[str, ...], kind: str) -> str:
	"""The online DDL: MariaDB refuses (instead of locking) when it cannot build without a lock."""
	if kind == DROP:
		return f"ALTER TABLE {quote(table)} DROP INDEX {quote(name)}, ALGORITHM=INPLACE, LOCK=NONE"
	cols = ", ".join(quote(c) for c in columns)
	return f"ALTER TABLE {quote(table)} ADD INDEX {quote(name)} ({cols}), ALGORITHM=INPLACE, LOCK=NONE"


def priority_for(rows: int) -> str:
	"""Above 100k rows HIGH, above 50k MEDIUM; smaller tables are cheap to scan."""
	return HIGH if rows > HIGH_ROWS else MEDIUM if rows > MEDIUM_ROWS else LOW
