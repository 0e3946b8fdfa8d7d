"""Indexes Frappe's meta owns: drop findings carry their owner and what to change in meta, have
no one-click action, and the same drop is refused by apply (core and CLI)."""

import pytest

from perf_engine.core.indexes.analysis import analyze
from perf_engine.core.indexes.meta import metas_from_database
from tests.test_index_apply import cli

META_TABLES = (
	"CREATE TABLE `tabDocType` (name VARCHAR(140) PRIMARY KEY, search_fields TEXT, sort_field VARCHAR(140), istable INT, issingle INT)",
	"""CREATE TABLE `tabDocField` (name VARCHAR(140) PRIMARY KEY, parent VARCHAR(140), fieldname VARCHAR(140),
	fieldtype VARCHAR(40), options TEXT, in_standard_filter INT DEFAULT 0, search_index INT DEFAULT 0, `unique` INT DEFAULT 0)""",
	"""CREATE TABLE `tabCustom Field` (name VARCHAR(140) PRIMARY KEY, dt VARCHAR(140), fieldname VARCHAR(140),
	fieldtype VARCHAR(40), options TEXT, in_standard_filter INT DEFAULT 0, search_index INT DEFAULT 0, `unique` INT DEFAULT 0)""",
	"""CREATE TABLE `tabProperty Setter` (name VARCHAR(140) PRIMARY KEY, doc_type VARCHAR(140), field_name VARCHAR(140),
	property VARCHAR(140), value TEXT)""",
	"""CREATE TABLE `tabThing` (name VARCHAR(140) PRIMARY KEY, modified DATETIME(6), status VARCHAR(20), ref VARCHAR(140),
	code VARCHAR(20), cf VARCHAR(20), KEY modified (modified), KEY status (status), KEY status_ref (status, ref),
	UNIQUE KEY code (code), UNIQUE KEY code_again (code), KEY ref_index (ref), KEY ref_dup (ref), KEY ref_status (ref, status),
	KEY cf (cf), KEY cf_status (cf, status))""",
	"CREATE TABLE `tabLog Line` (modified DATETIME(6), message TEXT, KEY modified (modified))",
	"""CREATE TABLE `tabThing Item` (name VARCHAR(140) PRIMARY KEY, parent VARCHAR(140), defkey VARCHAR(140),
	KEY parent (parent), KEY parent_defkey (parent, defkey), KEY aaa_defkey (defkey), KEY defkey_index (defkey))""",
)
META_ROWS = (
	"""INSERT INTO `tabDocType` VALUES ('Thing', '', 'modified', 0, 0), ('Thing Item', '', 'modified', 1, 0),
	('Log Line', '', 'modified', 0, 0)""",
	"""INSERT INTO `tabDocField` (name, parent, fieldname, fieldtype, search_index, `unique`) VALUES
	('f1', 'Thing', 'status', 'Select', 1, 0), ('f2', 'Thing', 'ref', 'Data', 0, 0), ('f3', 'Thing', 'code', 'Data', 0, 1),
	('f4', 'Thing Item', 'defkey', 'Data', 1, 0)""",
	"INSERT INTO `tabCustom Field` (name, dt, fieldname, fieldtype, search_index) VALUES ('c1', 'Thing', 'cf', 'Data', 1)",
	"INSERT INTO `tabProperty Setter` VALUES ('p1', 'Thing', 'ref', 'search_index', '1')",
)


@pytest.fixture
def frappe_schema(db):
	"""A database shaped like a Frappe site's: meta tables, a DocType table and a child table."""
	with db.cursor() as cur:
		for statement in META_TABLES + META_ROWS:
			cur.execute(statement)
	return db


def drops_by_index(db, database_name) -> dict[str, dict]:
	result = analyze(db, database_name, metas_from_database(db))
	return {f["index_name"]: f for f in result["findings"] if f["kind"] == "drop"}


def test_drops_of_indexes_meta_owns_carry_the_owner_and_the_change(frappe_schema, database_name):
	"""DocField, Property Setter, Custom Field and child-table indexes are marked; others are not."""
	drops = drops_by_index(frappe_schema, database_name)
	expected = {
		"status": ("DocField Thing.status (search_index)", "untick Index on Thing.status in Customize Form"),
		"ref_index": ("Property Setter Thing.ref search_index = 1", "or delete that Property Setter"),
		"cf": ("Custom Field Thing.cf (search_index)", "untick Index on Thing.cf in the Custom Field"),
		"parent": ("Frappe (every child table, Thing Item included, has a parent index)", "keep it"),
	}
	for name, (owner, change) in expected.items():
		assert drops[name]["managed_by"] == owner, name
		assert (
			drops[name]["blocked_reason"].startswith(f"Frappe manages this index ({owner})")
			and change in (drops[name]["blocked_reason"])
		)
	for name in ("ref_dup", "code_again"):
		assert drops[name]["managed_by"] == "" and drops[name]["blocked_reason"] == ""
	assert "code" not in drops and "modified" not in drops


def test_meta_owned_indexes_are_kept_over_identical_ones(frappe_schema, database_name):
	"""Of two identical indexes the one meta owns stays, whatever the names; the other can go in one click."""
	drops = drops_by_index(frappe_schema, database_name)
	assert "defkey_index" not in drops
	assert drops["aaa_defkey"]["reason"] == "duplicate of defkey_index (defkey)"
	assert drops["aaa_defkey"]["blocked_reason"] == ""
	assert drops["code_again"]["reason"] == "duplicate of code (code)"


def test_unused_indexes_meta_owns_carry_the_owner_also_when_alone_on_their_table(
	frappe_schema, database_name
):
	"""With userstat on and nothing read, unused owned indexes are marked, the only index of a table without a primary key included."""
	with frappe_schema.cursor() as cur:
		cur.execute("SELECT @@global.userstat")
		saved = cur.fetchone()[0]
		cur.execute("SET GLOBAL userstat = 1")
	try:
		result = analyze(frappe_schema, database_name, metas_from_database(frappe_schema))
	finally:
		with frappe_schema.cursor() as cur:
			cur.execute("SET GLOBAL userstat = %s", (saved,))
	unused = {(f["table"], f["index_name"]): f for f in result["findings"] if f["source"] == "unused"}
	alone = unused[("tabLog Line", "modified")]
	assert alone["managed_by"] == "Frappe (every DocType table has a modified index)"
	assert alone["blocked_reason"].startswith("Frappe manages this index")
	assert unused[("tabThing", "modified")]["managed_by"] == alone["managed_by"]


@pytest.mark.parametrize(
	("table", "index", "owner"),
	[
		("tabThing", "status", "DocField Thing.status"),
		("tabThing Item", "parent", "Frappe (every child table"),
	],
)
def test_cli_refuses_to_drop_an_index_meta_owns(frappe_schema, database_name, capsys, table, index, owner):
	"""The CLI reads the same meta and refuses the drop, saying who owns the index."""
	args = ["--drop", "--yes", "--table", table, "--columns", index, "--index-name", index]
	assert cli(database_name, *args) == 2
	assert f"managed by {owner}" in capsys.readouterr().err
	with frappe_schema.cursor() as cur:
		cur.execute(f"SHOW INDEX FROM `{table}` WHERE Key_name = %s", (index,))
		assert cur.fetchall()
