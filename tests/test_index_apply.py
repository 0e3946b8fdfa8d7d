"""Online apply against a real MariaDB: only what the live schema allows, within bounded limits,
and never holding up the site's queries on a table for more than about the lock wait."""

import contextlib
import threading
import time

import pytest

from perf_engine.cli import main
from perf_engine.core.errors import InvalidInput
from perf_engine.core.indexes import apply, catalog, holders
from perf_engine.core.indexes.managed import Owner
from perf_engine.core.indexes.recommendation import DROP
from tests.services import connect_database, mariadb_settings, temporary_database
from tests.test_indexes import INVOICE, index_names, make_invoices

# A blocked attempt may hold the table for its 1 s lock wait; scheduling on a shared machine adds a little.
HELD_AT_MOST_S = 2.0
HOLDER_AGE_S = 1.2  # a holder must have held the table this long to count as blocking a 1 s wait


@pytest.fixture(params=["without plugin", "with metadata_lock_info"])
def lock_info(request, db):
	"""Run the test with MariaDB's metadata_lock_info plugin absent, then installed; leave it as found."""
	wanted = request.param != "without plugin"
	before = holders.plugin_installed(db)
	with db.cursor() as cur:
		if wanted and not before:
			cur.execute("INSTALL SONAME 'metadata_lock_info'")
		if before and not wanted:
			cur.execute("UNINSTALL SONAME 'metadata_lock_info'")
	yield wanted
	with db.cursor() as cur:
		if wanted and not before:
			cur.execute("UNINSTALL SONAME 'metadata_lock_info'")
		if before and not wanted:
			cur.execute("INSTALL SONAME 'metadata_lock_info'")


@contextlib.contextmanager
def idle_transaction(database_name: str):
	"""A session that read the table inside a transaction and now sits idle, holding it."""
	holder = connect_database(database_name)
	holder.autocommit(False)
	with holder.cursor() as cur:
		cur.execute(f"SELECT COUNT(*) FROM `{INVOICE}`")
	try:
		yield holder
	finally:
		holder.rollback()
		holder.close()


@contextlib.contextmanager
def reader(database_name: str):
	"""A client reading the table by key in a loop; yields the list of its wait times."""
	waits, stop = [], threading.Event()

	def loop() -> None:
		conn = connect_database(database_name)
		with conn.cursor() as cur:
			while not stop.is_set():
				started = time.monotonic()
				cur.execute(f"SELECT customer FROM `{INVOICE}` WHERE name = 'SINV-7'")
				cur.fetchall()
				waits.append(time.monotonic() - started)
				time.sleep(0.05)
		conn.close()

	thread = threading.Thread(target=loop)
	thread.start()
	try:
		yield waits
	finally:
		stop.set()
		thread.join()


def apply_while_held(conn, database_name: str, retries: int) -> tuple[apply.ApplyResult, list[float], int]:
	"""Apply po_no_index while an idle transaction holds the table: the result, a reader's waits, the holder's thread."""
	with idle_transaction(database_name) as holder, reader(database_name) as waits:
		time.sleep(HOLDER_AGE_S)
		result = apply.apply(
			conn,
			database_name,
			INVOICE,
			("po_no",),
			"po_no_index",
			limits=apply.Limits(1, retries),
			retry_pause_s=0.2,
		)
		time.sleep(0.2)
	return result, waits, holder.thread_id()


def test_apply_is_idempotent_and_online(db, database_name):
	"""Adding runs ALGORITHM=INPLACE, LOCK=NONE and returns that exact DDL; again, it is already in place."""
	make_invoices(db, 5000)
	first = apply.apply(
		db, database_name, INVOICE, ("customer", "posting_date"), "customer_posting_date_index"
	)
	assert first.status == "Applied" and first.statement.endswith("ALGORITHM=INPLACE, LOCK=NONE")
	assert first.statement == first.message and "customer_posting_date_index" in index_names(
		db, database_name
	)
	again = apply.apply(db, database_name, INVOICE, ("customer", "posting_date"), "other_name")
	assert (again.status, again.message, again.statement) == (
		"Applied",
		"already in place as customer_posting_date_index",
		"",
	)
	dropped = apply.apply(
		db, database_name, INVOICE, ("customer", "posting_date"), "customer_posting_date_index", kind=DROP
	)
	assert dropped.status == "Applied" and "customer_posting_date_index" not in index_names(db, database_name)


@pytest.mark.parametrize(
	("table", "columns", "message"),
	[
		("tabSales Invoice`; DROP TABLE `tabSales Invoice`; --", ("customer",), "No table"),
		(INVOICE, ("customer`); DROP TABLE `tabSales Invoice`; --",), "has no column"),
		(INVOICE, (), "has no column"),
	],
)
def test_injection_attempts_are_refused_and_nothing_runs(db, database_name, table, columns, message):
	"""Identifiers that are not real tables or columns are refused before any DDL is built."""
	make_invoices(db, 100)
	before = index_names(db, database_name)
	with pytest.raises(InvalidInput, match=message):
		apply.apply(db, database_name, table, columns, "x_index")
	assert index_names(db, database_name) == before
	assert INVOICE in catalog.table_sizes(db, database_name)


@pytest.mark.parametrize(
	("limits", "message"),
	[
		({"retries": -1}, "retries must be a whole number from 0 to 10, got -1"),
		({"retries": 11}, "retries must be a whole number from 0 to 10, got 11"),
		(
			{"lock_wait_timeout_s": 0},
			r"lock wait timeout \(seconds\) must be a whole number from 1 to 10, got 0",
		),
		({"lock_wait_timeout_s": 99999999999}, "from 1 to 10, got 99999999999"),
		({"lock_wait_timeout_s": 1.5}, "from 1 to 10, got 1.5"),
	],
)
def test_limits_outside_their_range_are_refused_naming_it(limits, message):
	"""Retries 0-10 and a lock wait of 1-10 s: anything else is refused with the allowed range."""
	with pytest.raises(InvalidInput, match=message):
		apply.Limits(**limits)


def test_unknown_kind_is_refused_and_nothing_runs(db, database_name):
	"""A kind other than add or drop never silently adds an index."""
	make_invoices(db, 100)
	before = index_names(db, database_name)
	with pytest.raises(InvalidInput, match="kind must be add or drop, got 'rebuild'"):
		apply.apply(db, database_name, INVOICE, ("po_no",), "po_no_index", kind="rebuild")
	assert index_names(db, database_name) == before


def test_an_add_a_wider_index_covers_is_answered_with_that_index(db, database_name):
	"""(company) is a left prefix of (company, status): nothing is built; a taken name is refused too."""
	make_invoices(db, 100)
	before = index_names(db, database_name)
	with pytest.raises(InvalidInput, match=r"already covered by company_status \(company, status\)"):
		apply.apply(db, database_name, INVOICE, ("company",), "company_index")
	with pytest.raises(InvalidInput, match="already has an index named customer"):
		apply.apply(db, database_name, INVOICE, ("po_no",), "customer")
	assert index_names(db, database_name) == before


def make_constrained(db) -> None:
	"""A parent with a sole-enforcer UNIQUE and a child whose foreign key has one index."""
	with db.cursor() as cur:
		cur.execute("CREATE TABLE parent (id INT PRIMARY KEY, code INT, UNIQUE KEY code (code))")
		cur.execute(
			"""CREATE TABLE child (id INT PRIMARY KEY, parent_id INT, note INT, KEY parent_id (parent_id),
			KEY note (note), CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES parent (id))"""
		)


@pytest.mark.parametrize(
	("table", "columns", "name", "message"),
	[
		("parent", ("id",), "PRIMARY", "The PRIMARY key of parent is never dropped"),
		("parent", ("code",), "code", r"UNIQUE index code \(code\) on parent is the only key enforcing"),
		("child", ("parent_id",), "parent_id", "the last index foreign key child_parent"),
		("child", ("parent_id",), "note", r"Index note of child has columns \(note\), not \(parent_id\)"),
	],
)
def test_drops_that_would_lose_a_constraint_are_refused(db, database_name, table, columns, name, message):
	"""PRIMARY, a sole-enforcer UNIQUE, a foreign key's last index, and a name/columns mismatch: refused."""
	make_constrained(db)
	before = catalog.indexes(db, database_name)
	with pytest.raises(InvalidInput, match=message):
		apply.apply(db, database_name, table, columns, name, kind=DROP)
	assert catalog.indexes(db, database_name) == before


def test_a_drop_of_an_index_meta_owns_is_refused_with_what_to_change(db, database_name):
	"""An owner passed by the caller (from DocType meta) refuses the drop and says what to change."""
	make_constrained(db)
	owners = {"note": Owner("DocField Child.note (search_index)", "untick Index on Child.note")}
	with pytest.raises(
		InvalidInput, match=r"managed by DocField Child.note \(search_index\); to drop it, untick"
	):
		apply.apply(db, database_name, "child", ("note",), "note", kind=DROP, owners=owners)
	assert "note" in index_names(db, database_name, "child")


def cli(database_name: str, *args: str) -> int:
	settings = mariadb_settings()
	connection = [
		"--db-host",
		settings.db_host,
		"--db-port",
		str(settings.db_port),
		"--db-user",
		settings.db_user,
	]
	connection += ["--db-password", settings.db_password]
	return main([*connection, "indexes", "apply", "--database", database_name, *args])


@pytest.mark.parametrize(
	("args", "message"),
	[
		(["--table", "parent", "--columns", "id", "--index-name", "PRIMARY"], "PRIMARY key of parent"),
		(["--table", "parent", "--columns", "code", "--index-name", "code"], "only key enforcing"),
		(["--table", "child", "--columns", "parent_id", "--index-name", "parent_id"], "foreign key"),
	],
)
def test_cli_refuses_constraint_drops(db, database_name, capsys, args, message):
	"""`perf-engine indexes apply --drop --yes` refuses the same drops with one line and exit code 2."""
	make_constrained(db)
	before = catalog.indexes(db, database_name)
	assert cli(database_name, "--drop", "--yes", *args) == 2
	error = capsys.readouterr().err
	assert message in error and error.count("\n") == 1 and "Traceback" not in error
	assert catalog.indexes(db, database_name) == before


def test_cli_refuses_limits_outside_their_range(db, database_name, capsys):
	"""--retries -1 and --lock-wait-timeout 0 are refused before anything connects or runs."""
	make_invoices(db, 100)
	assert cli(database_name, "--table", INVOICE, "--columns", "po_no", "--retries", "-1") == 2
	assert "from 0 to 10, got -1" in capsys.readouterr().err
	assert cli(database_name, "--table", INVOICE, "--columns", "po_no", "--lock-wait-timeout", "0") == 2
	assert "from 1 to 10, got 0" in capsys.readouterr().err
	assert "po_no_index" not in index_names(db, database_name)


def test_a_blocked_apply_names_the_holder_and_holds_readers_about_a_second(db, database_name, lock_info):
	"""An idle transaction holds the table: the apply fails naming it; a reader never waits much over 1 s."""
	make_invoices(db, 1000)
	result, waits, holder = apply_while_held(db, database_name, retries=3)
	assert result.status == "Failed" and result.attempts == 1 and result.statement == ""
	assert f"thread {holder} (root, idle in a transaction for" in result.message
	assert ("is held by" if lock_info else "is probably held by") in result.message
	assert max(waits) < (0.5 if lock_info else HELD_AT_MOST_S), "with the plugin no attempt even starts"
	assert "po_no_index" not in index_names(db, database_name)
	with db.cursor() as cur:
		cur.execute("SELECT @@SESSION.lock_wait_timeout, @@GLOBAL.lock_wait_timeout")
		session, server = cur.fetchone()
	assert session == server, "the session's own lock wait is restored"


def test_a_running_statement_on_the_table_is_named_before_any_attempt(db, database_name):
	"""A statement running on the table for over a second is a holder even without the plugin."""
	make_invoices(db, 100)
	runner = connect_database(database_name)
	thread = threading.Thread(
		target=lambda: runner.cursor().execute(f"SELECT SLEEP(4) FROM `{INVOICE}` LIMIT 1")
	)
	thread.start()
	try:
		time.sleep(HOLDER_AGE_S + 0.3)
		result = apply.apply(db, database_name, INVOICE, ("po_no",), "po_no_index", limits=apply.Limits(1, 0))
	finally:
		thread.join()
		runner.close()
	assert result.status == "Failed" and "gave up without queueing behind it" in result.message
	assert (
		f"thread {runner.thread_id()} (root, running for" in result.message and "SLEEP(4)" in result.message
	)


def test_a_statement_on_the_same_table_of_another_site_is_no_holder(db, database_name):
	"""Every site of a bench has its own tabSales Invoice: a long statement on another database's copy never blocks."""
	make_invoices(db, 100)
	with temporary_database() as other_site:
		other = connect_database(other_site)
		make_invoices(other, 10)
		thread = threading.Thread(
			target=lambda: other.cursor().execute(f"SELECT SLEEP(3) FROM `{INVOICE}` LIMIT 1")
		)
		thread.start()
		try:
			time.sleep(HOLDER_AGE_S + 0.3)
			result = apply.apply(
				db, database_name, INVOICE, ("po_no",), "po_no_index", limits=apply.Limits(1, 0)
			)
		finally:
			thread.join()
			other.close()
	assert result.status == "Applied", result.message


def test_without_the_process_privilege_the_apply_says_so_and_still_gives_up_fast(
	db, database_name, site_user
):
	"""Unable to see other sessions, each attempt still waits only its second, and the message says why."""
	make_invoices(db, 1000)
	result, waits, _ = apply_while_held(site_user, database_name, retries=1)
	assert result.status == "Failed" and result.attempts == 2
	assert "Lock wait timeout" in result.message and "lacks the PROCESS privilege" in result.message
	assert max(waits) < HELD_AT_MOST_S


def test_backoff_grows_jittered_up_to_its_cap():
	"""Pauses double per attempt within +/- 50 % jitter and never exceed the cap (plus jitter)."""
	first = [apply.backoff(1, 2.0) for _ in range(200)]
	assert 1.0 <= min(first) and max(first) <= 3.0 and len(set(first)) > 100
	assert all(apply.backoff(10, 2.0) <= apply.RETRY_PAUSE_CAP_S * 1.5 for _ in range(50))
