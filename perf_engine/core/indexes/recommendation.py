"""One index finding with its evidence and the exact DDL it would run.

The DDL changes an index online (ALGORITHM=INPLACE, LOCK=NONE) on InnoDB. Other engines
(Aria, MyISAM, MEMORY) cannot: MariaDB refuses LOCK=NONE for them and rebuilds the table,
so their DDL asks for ALGORITHM=COPY, LOCK=SHARED (reads go on, writes wait until the copy
ends) and the finding says so in `lock_note`.
"""

import hashlib
from dataclasses import asdict, dataclass, field

from perf_engine.core.errors import InvalidInput
from perf_engine.core.indexes.catalog import INNODB

HIGH_ROWS = 100_000
MEDIUM_ROWS = 50_000
HIGH, MEDIUM, LOW = "HIGH", "MEDIUM", "LOW"
ADD, DROP = "add", "drop"
MAX_INDEX_NAME = 64
ONLINE = "ALGORITHM=INPLACE, LOCK=NONE"
LOCKING = "ALGORITHM=COPY, LOCK=SHARED"  # what MariaDB offers engines that cannot change an index online
ONLINE_ENGINES = {INNODB.lower()}


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
	managed_by: str = ""  # the DocType meta that owns the index (see managed.py)
	blocked_reason: str = ""  # why there is no one-click action, and what would have to change
	foreign_key: bool = False  # a duplicate foreign key: its DDL is for a person to run
	engine: str = INNODB  # the table's storage engine: whether the DDL can run online

	def __post_init__(self) -> None:
		self.index_name = self.index_name or index_name(self.columns)

	@property
	def key(self) -> str:
		return key(self.table, self.columns, self.kind, self.index_name, self.foreign_key)

	@property
	def ddl(self) -> str:
		if self.foreign_key:
			return f"ALTER TABLE {quote(self.table)} DROP FOREIGN KEY {quote(self.index_name)}"
		return ddl(self.table, self.index_name, self.columns, self.kind, self.engine)

	@property
	def lock_note(self) -> str:
		"""How the change locks the table when it cannot run online, and when to apply it; empty if online."""
		if self.foreign_key or online(self.engine):
			return ""
		verb = "dropping" if self.kind == DROP else "building"
		return (
			f"{self.engine} cannot change an index online (LOCK=NONE): {verb} it copies the table's "
			f"~{self.rows:,} rows with {LOCKING}, so reads go on but writes to {self.table} wait until "
			"the copy ends: apply it at a quiet time"
		)

	def as_dict(self) -> dict:
		return {**asdict(self), "key": self.key, "ddl": self.ddl, "lock_note": self.lock_note}


def key(table: str, columns: tuple[str, ...], kind: str, name: str, foreign_key: bool = False) -> str:
	"""Stable identity across analysis runs: table, columns and kind, and for a drop the index
	name too (two identical indexes are two findings). Applying checks a document against it."""
	raw = f"{table}|{','.join(columns)}|{kind}"
	if kind == DROP:
		raw += f"|{name}" + ("|foreign key" if foreign_key else "")
	return hashlib.sha1(raw.encode()).hexdigest()[:16]


def check_identity(name: str, table: str, columns: tuple[str, ...], kind: str, index: str) -> None:
	"""Refuse a stored finding whose table, columns, kind or index name is not what the analysis
	found: its name is the key of that identity, so any change to one of them shows."""
	derived = index_name(columns) if kind == ADD else index
	if index != derived or key(table, columns, kind, index) != name:
		raise InvalidInput(
			f"Recommendation {name} no longer matches the finding the analysis stored under that name "
			f"(now {kind} {index!r} on {table!r} ({', '.join(columns)})): it was changed after the analysis; "
			"nothing was changed"
		)


def index_name(columns: tuple[str, ...]) -> str:
	"""`customer_posting_date_index`, shortened with a hash when too long for MariaDB."""
	name = "_".join(columns) + "_index"
	if len(name) <= MAX_INDEX_NAME:
		return name
	return name[: MAX_INDEX_NAME - 9] + "_" + hashlib.sha1(name.encode()).hexdigest()[:8]


def quote(identifier: str) -> str:
	return "`" + identifier.replace("`", "``") + "`"


def online(engine: str) -> bool:
	"""Whether MariaDB can change this engine's indexes without blocking writes (LOCK=NONE)."""
	return engine.lower() in ONLINE_ENGINES


def ddl(table: str, name: str, columns: tuple[str, ...], kind: str, engine: str = INNODB) -> str:
	"""The DDL with the least locking the engine supports: online on InnoDB, where MariaDB refuses
	(instead of locking) when it cannot build without a lock; LOCK=SHARED on the others."""
	lock = ONLINE if online(engine) else LOCKING
	if kind == DROP:
		return f"ALTER TABLE {quote(table)} DROP INDEX {quote(name)}, {lock}"
	cols = ", ".join(quote(c) for c in columns)
	return f"ALTER TABLE {quote(table)} ADD INDEX {quote(name)} ({cols}), {lock}"


def priority_for(rows: int) -> str:
	"""Above 100k rows HIGH, above 50k MEDIUM; smaller tables are cheap to scan."""
	return HIGH if rows > HIGH_ROWS else MEDIUM if rows > MEDIUM_ROWS else LOW
