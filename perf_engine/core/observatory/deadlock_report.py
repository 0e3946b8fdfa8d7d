"""Read the latest detected deadlock from `SHOW ENGINE INNODB STATUS`, in MariaDB's format and MySQL's.

From the LATEST DETECTED DEADLOCK section: when it was detected, and for each transaction its
InnoDB id, its thread (MariaDB prints "MariaDB thread id", MySQL "MySQL thread id"), query id,
the client line, the statement it ran, the lock it waited for and the locks it held or
conflicted with (record locks with their index, table locks; the table, the lock mode), and
which transaction InnoDB rolled back (the victim, whose client got error 1213). The reader
never raises: text it cannot read comes back with the raw section and a note on what was
missing. Bounded: at most MAX_SECTION_CHARS of the section, MAX_STATEMENT_CHARS per statement.
"""

import hashlib
import re
from dataclasses import asdict, dataclass, field

SECTION_START = "LATEST DETECTED DEADLOCK"
MAX_SECTION_CHARS = 64 * 1024
MAX_STATEMENT_CHARS = 4000
MAX_LOCKS = 20
TRANSACTION_HEAD = re.compile(r"^\*\*\* \((\d+)\) TRANSACTION:?\s*$")
TRANSACTION_LINE = re.compile(r"^TRANSACTION (\w+), ACTIVE (\d+) sec")
THREAD_LINE = re.compile(r"^(?:MariaDB|MySQL) thread id (\d+), OS thread handle \w+, query id (\d+)\s*(.*)$")
WAITING = re.compile(r"^\*\*\* (?:\(\d+\) )?WAITING FOR THIS LOCK TO BE GRANTED:?")
HOLDING = re.compile(r"^\*\*\* (?:\(\d+\) )?(?:HOLDS THE LOCK\(S\)|CONFLICTING WITH):?")
VICTIM = re.compile(r"^\*\*\* WE ROLL BACK TRANSACTION \((\d+)\)")
QUALIFIED = r"`((?:[^`]|``)+)`\.`((?:[^`]|``)+)`"
RECORD_LOCK = re.compile(rf"^RECORD LOCKS .*? index (`[^`]+`|\S+) of table {QUALIFIED} trx id (\w+) (.*)$")
TABLE_LOCK = re.compile(rf"^TABLE LOCK table {QUALIFIED} trx id (\w+) (.*)$")
SECTION_END = re.compile(r"^-{3,}\s*$")
DETECTED_AT = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)")
NOT_A_STATEMENT = ("mysql tables in use", "LOCK WAIT", "TRANSACTION ", "Trx read view", "undo log")


@dataclass
class Lock:
	"""A lock asked for or held (by the transaction `trx_id`): on a table, or on records of one of its indexes."""

	database: str
	table: str
	index: str | None
	mode: str
	waiting: bool
	trx_id: str


@dataclass
class DeadlockTransaction:
	"""One side of the deadlock."""

	number: int
	trx_id: str = ""
	active_s: int | None = None
	thread_id: int | None = None
	query_id: int | None = None
	client: str = ""
	statement: str = ""
	waiting_for: Lock | None = None
	# MySQL lists the locks the transaction holds, MariaDB those it conflicts with (held by the
	# other side): each lock names the transaction holding it.
	locks: list[Lock] = field(default_factory=list)

	def tables(self) -> list[tuple[str, str]]:
		locks = ([self.waiting_for] if self.waiting_for else []) + self.locks
		return list(dict.fromkeys((lock.database, lock.table) for lock in locks))


@dataclass
class Deadlock:
	"""The latest deadlock as InnoDB reported it, the raw text kept, and what could not be read."""

	detected_at: str | None
	transactions: list[DeadlockTransaction]
	victim: int | None
	raw: str
	problems: list[str] = field(default_factory=list)

	@property
	def key(self) -> str:
		"""The same deadlock read twice has the same key: stored once."""
		identity = "|".join(
			[self.detected_at or ""] + [f"{t.trx_id}:{t.thread_id}:{t.query_id}" for t in self.transactions]
		)
		if not self.detected_at and not self.transactions:
			identity = self.raw
		return hashlib.sha1(identity.encode(errors="replace")).hexdigest()[:20]

	@property
	def victim_transaction(self) -> DeadlockTransaction | None:
		return next((t for t in self.transactions if t.number == self.victim), None)

	def databases(self) -> set[str]:
		return {database for t in self.transactions for database, _ in t.tables()}

	def as_dict(self) -> dict:
		return {**asdict(self), "key": self.key, "note": "; ".join(self.problems)}


def latest_section(status: str) -> str | None:
	"""The LATEST DETECTED DEADLOCK section's body (bounded), or None when the server has none."""
	start = status.find(SECTION_START)
	if start < 0:
		return None
	lines = status[start : start + MAX_SECTION_CHARS].splitlines()[1:]
	if lines and SECTION_END.match(lines[0]):
		lines = lines[1:]
	body = []
	for line in lines:
		if SECTION_END.match(line):  # the dashed rule above the next section's title
			break
		body.append(line)
	return "\n".join(body).strip("\n")


def parse(status: str) -> Deadlock | None:
	"""The latest deadlock in a SHOW ENGINE INNODB STATUS text; None when there is none. Never raises."""
	try:
		section = latest_section(status)
	except Exception as exc:  # a reader of outside text answers, whatever the text
		return Deadlock(
			None, [], None, status[:MAX_SECTION_CHARS], [f"unreadable status text: {type(exc).__name__}"]
		)
	if section is None:
		return None
	try:
		return read_section(section)
	except Exception as exc:
		return Deadlock(
			None, [], None, section, [f"the deadlock section could not be read: {type(exc).__name__}"]
		)


def read_section(section: str) -> Deadlock:
	"""Each transaction's fields, its locks and the victim, line by line."""
	lines = section.splitlines()
	detected = next((m.group(1) for line in lines[:3] if (m := DETECTED_AT.match(line))), None)
	transactions: list[DeadlockTransaction] = []
	victim, current, mode = None, None, None
	for line in lines:
		if head := TRANSACTION_HEAD.match(line):
			current, mode = DeadlockTransaction(int(head.group(1))), "header"
			transactions.append(current)
		elif found := VICTIM.match(line):
			victim, mode = int(found.group(1)), None
		elif current is None:
			continue
		elif WAITING.match(line):
			mode = "waiting"
		elif HOLDING.match(line):
			mode = "holding"
		elif mode == "header":
			header_line(current, line)
		elif mode == "statement":
			if line.startswith("*** "):
				mode = None
			else:
				add_statement(current, line)
		elif mode in ("waiting", "holding") and (lock := lock_line(line, mode == "waiting")):
			if mode == "waiting" and current.waiting_for is None:
				current.waiting_for = lock
			elif len(current.locks) < MAX_LOCKS:
				current.locks.append(lock)
		if (
			current is not None
			and mode == "header"
			and current.thread_id is not None
			and THREAD_LINE.match(line)
		):
			mode = "statement"
	for transaction in transactions:
		transaction.statement = transaction.statement.strip()
	return Deadlock(detected, transactions, victim, section, problems(detected, transactions, victim))


def header_line(transaction: DeadlockTransaction, line: str) -> None:
	if found := TRANSACTION_LINE.match(line):
		transaction.trx_id, transaction.active_s = found.group(1), int(found.group(2))
	elif found := THREAD_LINE.match(line):
		transaction.thread_id, transaction.query_id = int(found.group(1)), int(found.group(2))
		transaction.client = found.group(3).strip()[:200]


def add_statement(transaction: DeadlockTransaction, line: str) -> None:
	if not transaction.statement and line.startswith(NOT_A_STATEMENT):
		return
	room = MAX_STATEMENT_CHARS - len(transaction.statement)
	if room > 0:
		transaction.statement += (line + "\n")[:room]


def lock_line(line: str, waiting: bool) -> Lock | None:
	"""A RECORD LOCKS or TABLE LOCK line as a Lock; anything else (the record dumps) is None."""
	if found := RECORD_LOCK.match(line):
		index, database, table, trx_id, mode = found.groups()
		return Lock(unquote(database), unquote(table), index.strip("`"), lock_mode(mode), waiting, trx_id)
	if found := TABLE_LOCK.match(line):
		database, table, trx_id, mode = found.groups()
		return Lock(unquote(database), unquote(table), None, lock_mode(mode), waiting, trx_id)
	return None


def lock_mode(text: str) -> str:
	"""`lock_mode X locks rec but not gap waiting` -> `X locks rec but not gap`; `lock mode IX` -> `IX`."""
	text = re.sub(r"^lock[_ ]mode\s+", "", text.strip())
	return re.sub(r"\s+waiting$", "", text)[:100]


def unquote(name: str) -> str:
	return name.replace("``", "`")


def problems(detected: str | None, transactions: list[DeadlockTransaction], victim: int | None) -> list[str]:
	"""What a complete reading has and this one lacks, one phrase each."""
	found = []
	if detected is None:
		found.append("no detection time")
	if len(transactions) < 2:
		found.append(f"{len(transactions)} transaction(s) read, a deadlock has at least 2")
	for t in transactions:
		if t.thread_id is None:
			found.append(f"transaction ({t.number}) has no thread line")
		if not t.statement:
			found.append(f"transaction ({t.number}) has no statement")
		if not t.tables():
			found.append(f"transaction ({t.number}) names no locked table")
	if victim is None:
		found.append("no rolled-back transaction named")
	return found
