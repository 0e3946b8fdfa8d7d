"""Which database threads are a site's own: its database name and its database user, both at once.

A bench's sites share one MariaDB server; every reading of the process list, every kill and
every deadlock is kept to the threads of one site, never another's. A site's own connection
names both (`DATABASE()` and the user it signed in as), so the site is read from it.
"""

from dataclasses import dataclass

import pymysql

from perf_engine.core.errors import InvalidInput

IDENTITY_SQL = "SELECT DATABASE(), SUBSTRING_INDEX(USER(), '@', 1)"
ACCOUNT_SQL = "SELECT CURRENT_USER()"


@dataclass(frozen=True)
class Site:
	"""A site's database and the user its connections sign in as."""

	database: str
	user: str

	def owns(self, user: str | None, database: str | None) -> bool:
		"""A thread is the site's when it is signed in as the site's user and uses the site's database."""
		return user == self.user and database == self.database


def of_connection(conn: pymysql.Connection, database: str | None = None) -> Site:
	"""The site a connection belongs to: its user and its database (or `database` when given)."""
	with conn.cursor() as cur:
		cur.execute(IDENTITY_SQL)
		current, user = cur.fetchone()
	database = database or current
	if not database:
		raise InvalidInput("Name the site's database (--database, or --bench and --site)")
	return Site(database, user)


def account(conn: pymysql.Connection) -> str:
	"""The account MariaDB signed this connection in as, quoted for a GRANT: `'user'@'host'`."""
	with conn.cursor() as cur:
		cur.execute(ACCOUNT_SQL)
		user, _, host = cur.fetchone()[0].rpartition("@")
	return f"'{user}'@'{host}'"
