"""Fixtures that hand each test real services it owns: a fresh database, an empty Redis
database, and `rq worker` processes that are stopped afterwards."""

import uuid
from collections.abc import Iterator

import pymysql
import pytest
import redis

from tests.services import (
	ClaimedRedisDb,
	MariaDBServer,
	RedisServer,
	WorkerProcess,
	claimed_redis_db,
	connect_database,
	mariadb_settings,
	temporary_database,
)
from tests.site_tables import SITE_TABLES


@pytest.fixture
def database_name() -> Iterator[str]:
	"""An empty MariaDB database created for this test and dropped after it."""
	with temporary_database() as name:
		yield name


@pytest.fixture
def db(database_name: str) -> Iterator[pymysql.Connection]:
	"""An autocommit connection to this test's own database."""
	conn = connect_database(database_name)
	yield conn
	conn.close()


@pytest.fixture
def site_user(db: pymysql.Connection, database_name: str) -> Iterator[pymysql.Connection]:
	"""A database user like a Frappe site's: every right on its own database, no PROCESS privilege."""
	name, password = f"pe_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
	with db.cursor() as cur:
		cur.execute(f"CREATE USER '{name}'@'%' IDENTIFIED BY '{password}'")
		cur.execute(f"GRANT ALL ON `{database_name}`.* TO '{name}'@'%'")
	settings = mariadb_settings()
	conn = pymysql.connect(
		host=settings.db_host,
		port=settings.db_port,
		user=name,
		password=password,
		database=database_name,
		charset="utf8mb4",
	)
	conn.autocommit(True)
	yield conn
	conn.close()
	with db.cursor() as cur:
		cur.execute(f"DROP USER '{name}'@'%'")


@pytest.fixture(scope="session")
def redis_db() -> Iterator[ClaimedRedisDb]:
	"""A Redis database this test session has claimed for itself."""
	with claimed_redis_db() as claimed:
		yield claimed


@pytest.fixture
def redis_client(redis_db: ClaimedRedisDb) -> Iterator[redis.Redis]:
	"""A client on this session's Redis database, emptied after each test."""
	yield redis_db.client
	redis_db.reset()


@pytest.fixture
def start_worker(redis_db: ClaimedRedisDb) -> Iterator:
	"""Start real rq workers on this session's Redis database; all are stopped after the test."""
	started: list[WorkerProcess] = []

	def start(queues: list[str], **kwargs) -> WorkerProcess:
		worker = WorkerProcess(redis_db.url, queues, **kwargs).start()
		started.append(worker)
		return worker

	yield start
	for worker in started:
		worker.stop()


@pytest.fixture
def private_redis(tmp_path) -> Iterator[redis.Redis]:
	"""A redis-server of this test's own, whose settings (maxmemory) it may change or stop."""
	server = RedisServer(tmp_path)
	yield server.start()
	server.stop()


@pytest.fixture(scope="session")
def private_mariadb() -> Iterator[MariaDBServer]:
	"""A mariadbd of this session's own with performance_schema on; removed with its data at the end."""
	server = MariaDBServer().start()
	yield server
	server.stop()


@pytest.fixture
def fresh_mariadb() -> Iterator[MariaDBServer]:
	"""A mariadbd started for this test alone (about 2 s): its counters since start (temporary tables,
	joins, aborted connects), which no statement resets, are this test's own doing."""
	server = MariaDBServer().start()
	yield server
	server.stop()


@pytest.fixture
def site_db(db: pymysql.Connection) -> pymysql.Connection:
	"""A test database shaped like a site's, with perf_engine's tables empty."""
	with db.cursor() as cur:
		for statement in SITE_TABLES:
			cur.execute(statement)
	return db
