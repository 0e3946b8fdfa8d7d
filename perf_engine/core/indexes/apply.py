"""Add or drop one index online, only as the live schema allows, never freezing the table.

Before any DDL the change is planned against the live schema (identifiers are never
trusted from input): table and columns exist; kind is add or drop; an add that a usable
(not IGNORED) index already covers is answered with that index; a drop names an index that
exists with those columns, that no constraint needs (`constraints.refusal`) and that
Frappe's meta does not own. Then each attempt looks for the sessions holding the table
(`holders`) and gives up, naming them, rather than queue behind one; otherwise it runs the
DDL with the least locking the table's live engine supports (ALGORITHM=INPLACE, LOCK=NONE on
InnoDB; LOCK=SHARED on Aria and MyISAM, which cannot do better) under a lock wait of about a
second, so a blocked attempt holds up the site's queries on that table for at most that
long, and retries after a backoff with jitter.
"""

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace

import pymysql

from perf_engine.core.errors import InvalidInput, PerfEngineError
from perf_engine.core.indexes import constraints, holders
from perf_engine.core.indexes.catalog import INNODB, Index, covered
from perf_engine.core.indexes.catalog import columns as table_columns
from perf_engine.core.indexes.catalog import foreign_keys as table_foreign_keys
from perf_engine.core.indexes.catalog import indexes as table_indexes
from perf_engine.core.indexes.managed import Owner
from perf_engine.core.indexes.recommendation import ADD, DROP, MAX_INDEX_NAME, ddl, quote

KINDS = (ADD, DROP)
LOCK_WAIT_TIMEOUT_S = 1  # MariaDB counts lock_wait_timeout in whole seconds; 1 is its shortest
LOCK_WAIT_RANGE_S = (1, 10)
RETRIES = 5
RETRIES_RANGE = (0, 10)
RETRY_PAUSE_S = 2.0  # the first pause; each later one doubles, up to the cap
RETRY_PAUSE_CAP_S = 30.0
JITTER = 0.5  # each pause is scaled by a random factor in 1 +/- this
LOCK_WAIT_ERRORS = {1205}  # ER_LOCK_WAIT_TIMEOUT, also raised for metadata lock waits


@dataclass(frozen=True)
class Limits:
	"""How long one attempt may wait for the table, and how many times to retry: both bounded."""

	lock_wait_timeout_s: int = LOCK_WAIT_TIMEOUT_S
	retries: int = RETRIES

	def __post_init__(self) -> None:
		bounded("lock wait timeout (seconds)", self.lock_wait_timeout_s, LOCK_WAIT_RANGE_S)
		bounded("retries", self.retries, RETRIES_RANGE)

	@property
	def attempts(self) -> int:
		return self.retries + 1


def bounded(name: str, value: object, allowed: tuple[int, int]) -> None:
	"""Refuse anything but a whole number inside `allowed`, naming the range."""
	low, high = allowed
	if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
		raise InvalidInput(f"{name} must be a whole number from {low} to {high}, got {value!r}")


def checked_kind(kind: str) -> str:
	if kind not in KINDS:
		raise InvalidInput(f"kind must be {' or '.join(KINDS)}, got {kind!r}")
	return kind


@dataclass
class ApplyResult:
	status: str  # Applied or Failed
	duration_s: float
	attempts: int
	message: str
	statement: str = ""  # the DDL that ran, exactly; empty when none did

	def as_dict(self) -> dict:
		return asdict(self)


@dataclass(frozen=True)
class Change:
	"""A change as the live schema knows it; `done` says why nothing needs to run."""

	table: str
	columns: tuple[str, ...]
	index_name: str
	kind: str
	done: str = ""
	engine: str = INNODB  # the live table's: whether the DDL can run online

	@property
	def statement(self) -> str:
		return ddl(self.table, self.index_name, self.columns, self.kind, self.engine)


def validated(
	conn: pymysql.Connection, schema: str, table: str, columns: tuple[str, ...]
) -> tuple[str, tuple[str, ...], str]:
	"""Exact table and column names as the server knows them, and the table's engine; anything else is refused."""
	with conn.cursor() as cur:
		cur.execute(
			"SELECT table_name, COALESCE(engine, '') FROM information_schema.TABLES "
			"WHERE table_schema = %s AND table_name = %s",
			(schema, table),
		)
		row = cur.fetchone()
	if not row:
		raise InvalidInput(f"No table {table!r} in database {schema!r}: nothing was changed")
	known = {c.lower(): c for c in table_columns(conn, schema, row[0])}
	unknown = [c for c in columns if c.lower() not in known]
	if unknown or not columns:
		raise InvalidInput(
			f"Table {row[0]!r} has no column(s) {', '.join(map(repr, unknown)) or '(none given)'}: nothing was changed"
		)
	return row[0], tuple(known[c.lower()] for c in columns), row[1]


def same_columns(index: Index, columns: tuple[str, ...]) -> bool:
	return tuple(c.lower() for c in index.columns) == tuple(c.lower() for c in columns)


def plan(
	conn: pymysql.Connection,
	schema: str,
	table: str,
	columns: tuple[str, ...],
	index_name: str,
	kind: str,
	owners: Mapping[str, Owner] | None = None,
) -> Change:
	"""The change the live schema allows, or InvalidInput saying why none may run."""
	kind = checked_kind(kind)
	table, columns, engine = validated(conn, schema, table, columns)
	existing = table_indexes(conn, schema, table).get(table, [])
	if kind == ADD:
		change = plan_add(table, columns, index_name, existing)
	else:
		change = plan_drop(conn, schema, table, columns, index_name, existing, owners or {})
	return replace(change, engine=engine)


def plan_add(table: str, columns: tuple[str, ...], index_name: str, existing: list[Index]) -> Change:
	if not index_name or len(index_name) > MAX_INDEX_NAME:
		raise InvalidInput(f"An index name needs 1 to {MAX_INDEX_NAME} characters, got {index_name!r}")
	same = next((i for i in existing if same_columns(i, columns) and covered(columns, [i])), None)
	if same:
		return Change(table, columns, index_name, ADD, f"already in place as {same.name}")
	taken = next((i for i in existing if i.name.lower() == index_name.lower()), None)
	if taken:
		raise InvalidInput(f"{table} already has an index named {taken.describe()}: nothing was changed")
	wider = covered(columns, existing)
	if wider:
		raise InvalidInput(
			f"({', '.join(columns)}) is already covered by {wider.describe()} as a left prefix: nothing was changed"
		)
	return Change(table, columns, index_name, ADD)


def plan_drop(
	conn: pymysql.Connection,
	schema: str,
	table: str,
	columns: tuple[str, ...],
	index_name: str,
	existing: list[Index],
	owners: Mapping[str, Owner],
) -> Change:
	index = next((i for i in existing if i.name.lower() == index_name.lower()), None)
	if index is None:
		return Change(table, columns, index_name, DROP, "already gone")
	if not same_columns(index, columns):
		raise InvalidInput(
			f"Index {index.name} of {table} has columns ({', '.join(index.columns)}), "
			f"not ({', '.join(columns)}): nothing was changed"
		)
	refusal = constraints.refusal(index, table, existing, table_foreign_keys(conn, schema, table))
	if refusal:
		raise InvalidInput(f"{refusal}: nothing was changed")
	owner = owners.get(index.name)
	if owner:
		raise InvalidInput(
			f"{index.describe()} is managed by {owner.owner}; to drop it, {owner.change}: nothing was changed"
		)
	return Change(table, index.columns, index.name, DROP)


def apply(
	conn: pymysql.Connection,
	schema: str,
	table: str,
	columns: tuple[str, ...],
	index_name: str,
	kind: str = ADD,
	limits: Limits = Limits(),
	owners: Mapping[str, Owner] | None = None,
	retry_pause_s: float = RETRY_PAUSE_S,
	on_progress: Callable[[int, int], None] | None = None,
) -> ApplyResult:
	"""Add or drop one index online; idempotent, never queueing behind a holder, always saying what happened."""
	change = plan(conn, schema, table, columns, index_name, kind, owners)
	if change.done:
		return ApplyResult("Applied", 0.0, 0, change.done)
	return run(conn, schema, change.table, change.statement, limits, retry_pause_s, on_progress)


def run(
	conn: pymysql.Connection,
	schema: str,
	table: str,
	statement: str,
	limits: Limits,
	retry_pause_s: float = RETRY_PAUSE_S,
	on_progress: Callable[[int, int], None] | None = None,
) -> ApplyResult:
	"""Run one DDL on `table` in short attempts, giving up on a holder instead of queueing behind it."""
	started, wait_s, error = time.monotonic(), limits.lock_wait_timeout_s, ""
	search = holders.HolderSearch()

	def failed(attempt: int, message: str) -> ApplyResult:
		return ApplyResult("Failed", round(time.monotonic() - started, 3), attempt, message)

	for attempt in range(1, limits.attempts + 1):
		if on_progress:
			on_progress(attempt, limits.attempts)
		blocking = holders.find(conn, schema, table).blocking(wait_s)
		if blocking:
			return failed(
				attempt, f"{table} is held by {named(blocking)}: gave up without queueing behind it"
			)
		try:
			run_with_lock_wait(conn, statement, wait_s)
			return ApplyResult("Applied", round(time.monotonic() - started, 3), attempt, statement, statement)
		except pymysql.MySQLError as exc:
			error = str(exc.args[1] if len(exc.args) > 1 else exc)
			if exc.args[0] not in LOCK_WAIT_ERRORS:
				return failed(attempt, error)
		search = holders.find(conn, schema, table)
		suspects = search.suspects(wait_s)
		if suspects:
			held = "held by" if search.exact else "probably held by"
			return failed(
				attempt, f"{error}: {table} is {held} {named(suspects)}: gave up without queueing again"
			)
		if attempt < limits.attempts:
			time.sleep(backoff(attempt, retry_pause_s))
	unseen = search.limitation or "no session held it long enough to be named; try again later"
	return failed(limits.attempts, f"gave up after {limits.attempts} attempt(s): {error}; {unseen}")


def named(found: list[holders.Holder]) -> str:
	return "; ".join(h.describe() for h in found)


def backoff(attempt: int, first_s: float) -> float:
	"""Exponential pause before the next attempt, jittered so retries of many applies spread out."""
	return min(RETRY_PAUSE_CAP_S, first_s * 2 ** (attempt - 1)) * random.uniform(1 - JITTER, 1 + JITTER)


def run_with_lock_wait(conn: pymysql.Connection, statement: str, wait_s: int) -> None:
	"""Run `statement` with this session's lock wait set to `wait_s`, restoring it after."""
	with conn.cursor() as cur:
		cur.execute("SELECT @@SESSION.lock_wait_timeout")
		saved = cur.fetchone()[0]
		cur.execute("SET SESSION lock_wait_timeout = %s", (wait_s,))
		try:
			cur.execute(statement)
		finally:
			cur.execute("SET SESSION lock_wait_timeout = %s", (saved,))


def set_ignored(
	conn: pymysql.Connection,
	schema: str,
	table: str,
	index_name: str,
	ignored: bool,
	limits: Limits = Limits(retries=0),
) -> str:
	"""MariaDB's reversible trial before a drop: the optimizer stops using the index, data stays."""
	names = {i.name for i in table_indexes(conn, schema, table).get(table, [])}
	if index_name not in names or index_name == "PRIMARY":
		raise InvalidInput(f"Table {table!r} has no secondary index {index_name!r}")
	statement = f"ALTER TABLE {quote(table)} ALTER INDEX {quote(index_name)} {'IGNORED' if ignored else 'NOT IGNORED'}"
	result = run(conn, schema, table, statement, limits)
	if result.status != "Applied":
		raise PerfEngineError(result.message)
	return statement
