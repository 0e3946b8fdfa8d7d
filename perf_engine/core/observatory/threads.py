"""Database threads as the process list and InnoDB show them: statement, age, rows, transaction, locks held.

Reads: one bounded query on information_schema.PROCESSLIST for the site's own threads, and
one on INNODB_TRX for the transactions (their age and the locks they hold). Without the
PROCESS privilege a user sees only its own threads in the process list and no transactions
at all: the reading says so and what to grant, and still lists what it can see.
"""

from dataclasses import asdict, dataclass

import pymysql

from perf_engine.core.observatory.site import Site, account

ACCESS_DENIED = {1227, 1142, 1044}  # needs PROCESS, table or database access denied
STATEMENT_CHARS = 2000
MAX_THREADS = 1000
IDLE = "Sleep"
# Threads that are the server's own work, never a client's query: never listed as a site's, never killed.
SYSTEM_USERS = frozenset({"system user", "event_scheduler", "unauthenticated user", "DELAYED"})
SYSTEM_COMMANDS = frozenset({"Daemon", "Binlog Dump", "Slave_IO", "Slave_SQL", "Slave_worker", "Connect"})
THREAD_COLUMNS = "p.ID, p.USER, p.DB, p.COMMAND, p.TIME_MS / 1000, p.STATE, LEFT(p.INFO, %(chars)s), p.EXAMINED_ROWS, p.QUERY_ID"
SITE_THREADS_SQL = f"""
	SELECT {THREAD_COLUMNS} FROM information_schema.PROCESSLIST p
	WHERE p.ID != CONNECTION_ID() AND p.USER = %(user)s AND p.DB = %(database)s
	ORDER BY p.TIME_MS DESC LIMIT %(limit)s
"""
THREADS_BY_ID_SQL = f"""
	SELECT {THREAD_COLUMNS} FROM information_schema.PROCESSLIST p WHERE p.ID IN %(ids)s
"""
TRANSACTIONS_SQL = """
	SELECT trx_mysql_thread_id, trx_id, trx_state, TIMESTAMPDIFF(SECOND, trx_started, NOW()),
		trx_rows_locked, trx_lock_structs, trx_tables_locked, trx_rows_modified
	FROM information_schema.INNODB_TRX LIMIT %(limit)s
"""
NO_PROCESS_PRIVILEGE = (
	"this database user ({account}) lacks the PROCESS privilege: it sees only its own threads, and no "
	"transactions, lock waits or deadlocks; an admin can run GRANT PROCESS ON *.* TO {account}"
)


@dataclass
class Transaction:
	"""An InnoDB transaction: how old it is and what it holds."""

	trx_id: str
	state: str
	age_s: int
	rows_locked: int
	lock_structs: int
	tables_locked: int
	rows_modified: int


@dataclass
class Thread:
	"""One server thread: who, where, what it runs (or that it is idle), for how long."""

	thread_id: int
	user: str
	db: str | None
	command: str
	time_s: float
	state: str
	statement: str
	rows_examined: int
	query_id: int
	transaction: Transaction | None = None

	@property
	def idle(self) -> bool:
		return self.command == IDLE

	@property
	def system(self) -> bool:
		return self.user in SYSTEM_USERS or self.command in SYSTEM_COMMANDS

	def describe(self) -> str:
		"""What the thread does now: its statement, or how long it has been idle inside its transaction."""
		if self.idle and self.transaction:
			return f"idle in transaction for {self.transaction.age_s} s"
		if self.idle:
			return f"idle for {self.time_s:.0f} s"
		return self.statement or self.state or self.command

	def as_dict(self) -> dict:
		return {**asdict(self), "idle": self.idle, "doing": self.describe()}


def thread_from(row: tuple) -> Thread:
	thread, user, db, command, time_s, state, info, examined, query_id = row
	return Thread(
		int(thread),
		user or "",
		db,
		command or "",
		float(time_s or 0),
		state or "",
		(info.decode(errors="replace") if isinstance(info, bytes) else info or "").strip(),
		int(examined or 0),
		int(query_id or 0),
	)


def site_threads(conn: pymysql.Connection, site: Site) -> list[Thread]:
	"""The site's threads (not this connection), longest running first, at most MAX_THREADS."""
	with conn.cursor() as cur:
		cur.execute(
			SITE_THREADS_SQL,
			{"chars": STATEMENT_CHARS, "user": site.user, "database": site.database, "limit": MAX_THREADS},
		)
		return [thread_from(row) for row in cur.fetchall()]


def threads_by_id(conn: pymysql.Connection, ids: set[int]) -> dict[int, Thread]:
	"""The threads with these ids (those this user may see), by id."""
	if not ids:
		return {}
	with conn.cursor() as cur:
		cur.execute(THREADS_BY_ID_SQL, {"chars": STATEMENT_CHARS, "ids": tuple(sorted(ids))})
		return {t.thread_id: t for t in map(thread_from, cur.fetchall())}


def transactions(conn: pymysql.Connection) -> dict[int, Transaction] | None:
	"""Every InnoDB transaction by thread id; None when this user may not read them (no PROCESS)."""
	try:
		with conn.cursor() as cur:
			cur.execute(TRANSACTIONS_SQL, {"limit": MAX_THREADS})
			rows = cur.fetchall()
	except pymysql.MySQLError as exc:
		if exc.args[0] in ACCESS_DENIED:
			return None
		raise
	return {
		int(thread): Transaction(
			str(trx),
			state or "",
			int(age or 0),
			int(locked or 0),
			int(structs or 0),
			int(tables or 0),
			int(modified or 0),
		)
		for thread, trx, state, age, locked, structs, tables, modified in rows
	}


def no_process_privilege(conn: pymysql.Connection) -> str:
	"""What this connection's account cannot see without PROCESS, and the GRANT that gives it."""
	return NO_PROCESS_PRIVILEGE.format(account=account(conn))
