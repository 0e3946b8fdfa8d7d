"""Foreign keys as the catalog reads them: from InnoDB's own list with the PROCESS privilege, from
KEY_COLUMN_USAGE without it, the same keys either way, names with spaces and unusual characters
exactly as written, and only this schema's keys."""

from collections.abc import Iterator

import pymysql
import pytest

from perf_engine.core.indexes import catalog
from perf_engine.core.indexes.catalog import ForeignKey
from tests.services import connect_database, temporary_database

# Names InnoDB stores in the server's file-name encoding: a space is @0020, an e-acute @0p (a
# two-character code, not hex), a literal "@0020" is itself encoded, "/" is @002f.
UNUSUAL_SCHEMA_PREFIX = "pe_t é-x.y"
INVOICE = "tabSales Invoice"
UNUSUAL = "tabCafé-Ünï/code@0020 日本.$x"
SCHEMA = f"""
	CREATE TABLE `{INVOICE}` (name VARCHAR(140) PRIMARY KEY, company VARCHAR(140), UNIQUE KEY nc (name, company));
	CREATE TABLE `{UNUSUAL}` (id INT PRIMARY KEY, `sales invoice` VARCHAR(140), `col-é` VARCHAR(140),
		`Company` VARCHAR(140), parent_id INT,
		KEY si (`sales invoice`), KEY ce (`col-é`, `Company`), KEY p (parent_id),
		CONSTRAINT `fk é/1` FOREIGN KEY (`sales invoice`) REFERENCES `{INVOICE}` (name),
		CONSTRAINT `two columns` FOREIGN KEY (`col-é`, `Company`) REFERENCES `{INVOICE}` (name, company),
		CONSTRAINT `self` FOREIGN KEY (parent_id) REFERENCES `{UNUSUAL}` (id));
	CREATE TABLE plain (id INT PRIMARY KEY, si VARCHAR(140), KEY si (si),
		CONSTRAINT plain_si FOREIGN KEY (si) REFERENCES `{INVOICE}` (name))
"""
EXPECTED = [
	ForeignKey("fk é/1", UNUSUAL, ("sales invoice",), INVOICE, ("name",)),
	ForeignKey("self", UNUSUAL, ("parent_id",), UNUSUAL, ("id",)),
	ForeignKey("two columns", UNUSUAL, ("col-é", "Company"), INVOICE, ("name", "company")),
	ForeignKey("plain_si", "plain", ("si",), INVOICE, ("name",)),
]


@pytest.fixture
def database_name() -> Iterator[str]:
	"""This module's database has a name the file-name encoding changes (space, accent, dot, dash)."""
	with temporary_database(UNUSUAL_SCHEMA_PREFIX) as name:
		yield name


def create(conn, schema: str) -> None:
	with conn.cursor() as cur:
		for statement in schema.split(";"):
			cur.execute(statement)


def innodb_keys(conn, schema: str) -> list[ForeignKey]:
	return catalog.grouped_foreign_keys(
		catalog.foreign_key_rows(conn, catalog.INNODB_FOREIGN_KEYS_SQL, schema)
	)


def key_column_usage_keys(conn, schema: str) -> list[ForeignKey]:
	return catalog.grouped_foreign_keys(catalog.foreign_key_rows(conn, catalog.FOREIGN_KEYS_SQL, schema))


def test_names_with_spaces_and_unusual_characters_are_decoded_exactly(db, database_name):
	"""InnoDB's encoded `db/table` names come back as written: spaces, accents, '/', '@0020', CJK, '$'."""
	create(db, SCHEMA)
	assert sorted(innodb_keys(db, database_name), key=str) == sorted(EXPECTED, key=str)


def test_both_sources_give_the_same_keys(db, database_name):
	"""InnoDB's list and KEY_COLUMN_USAGE agree key for key, columns in order, on the unusual schema."""
	create(db, SCHEMA)
	innodb = innodb_keys(db, database_name)
	assert innodb == key_column_usage_keys(db, database_name)
	assert len(innodb) == len(EXPECTED)


def test_without_the_process_privilege_the_same_keys_come_from_key_column_usage(db, database_name, site_user):
	"""A site's own user cannot read InnoDB's list; foreign_keys still answers, the same as an admin's."""
	create(db, SCHEMA)
	with pytest.raises(pymysql.MySQLError) as denied, site_user.cursor() as cur:
		cur.execute(catalog.INNODB_FOREIGN_KEYS_SQL, (database_name, database_name))
	assert denied.value.args[0] in catalog.INNODB_LIST_UNREADABLE
	assert catalog.foreign_keys(site_user, database_name) == catalog.foreign_keys(db, database_name)
	for table in (INVOICE, UNUSUAL, "plain"):
		assert catalog.foreign_keys(site_user, database_name, table) == catalog.foreign_keys(
			db, database_name, table
		)


def test_one_table_gives_the_keys_on_it_and_those_referencing_it(db, database_name):
	"""With a table: its own keys and the keys referencing it, a self-reference once."""
	create(db, SCHEMA)
	assert {k.name for k in catalog.foreign_keys(db, database_name, INVOICE)} == {
		"fk é/1",
		"two columns",
		"plain_si",
	}
	assert {k.name for k in catalog.foreign_keys(db, database_name, UNUSUAL)} == {
		"fk é/1",
		"two columns",
		"self",
	}
	assert [k.name for k in catalog.foreign_keys(db, database_name, "plain")] == ["plain_si"]


def test_only_this_schemas_keys_are_read(db, database_name):
	"""The same tables and keys in a database whose name only differs in a wildcard character stay out,
	and so does a key referencing a table in another schema."""
	create(db, SCHEMA)
	with temporary_database(UNUSUAL_SCHEMA_PREFIX.replace("_", "%")) as other:
		other_conn = connect_database(other)
		try:
			create(other_conn, SCHEMA)
			with other_conn.cursor() as cur:
				cur.execute(
					f"""CREATE TABLE across (id INT PRIMARY KEY, si VARCHAR(140), KEY si (si),
					CONSTRAINT across_si FOREIGN KEY (si) REFERENCES `{database_name}`.`{INVOICE}` (name))"""
				)
			assert "across_si" not in {k.name for k in catalog.foreign_keys(other_conn, other)}
			assert sorted(catalog.foreign_keys(db, database_name), key=str) == sorted(EXPECTED, key=str)
			assert sorted(innodb_keys(other_conn, other), key=str) == sorted(EXPECTED, key=str)
			assert key_column_usage_keys(other_conn, other) == innodb_keys(other_conn, other)
		finally:
			other_conn.close()
