"""Fixtures that hand each test real services it owns: a fresh database, an empty Redis
database, and `rq worker` processes that are stopped afterwards."""

from collections.abc import Iterator

import pymysql
import pytest
import redis

from tests.services import (
	ClaimedRedisDb,
	RedisServer,
	WorkerProcess,
	claimed_redis_db,
	connect_database,
	temporary_database,
)


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
