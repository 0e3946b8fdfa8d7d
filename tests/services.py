"""Real MariaDB, Redis and RQ worker processes for tests and benchmarks, each owned and cleaned up.

Addresses default to the local services and can be moved with PERF_ENGINE_TEST_DB_HOST,
PERF_ENGINE_TEST_DB_PORT, PERF_ENGINE_TEST_DB_USER, PERF_ENGINE_TEST_DB_PASSWORD and
PERF_ENGINE_TEST_REDIS_URL (a URL without a database number).
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pymysql
import redis
from rq import Worker

from perf_engine.core.config import ConnectionSettings

REPO_ROOT = Path(__file__).resolve().parent.parent
# Databases 0-2 belong to whatever else runs here (a bench uses 1 and 2); tests take from the rest.
TEST_REDIS_DBS = range(3, 16)
CLAIM_KEY = "perf_engine:test:claimed_by"
CLAIM_TTL_S = 6 * 3600
WORKER_START_TIMEOUT_S = 20
# InnoDB samples 20 pages for its row estimate, which wanders by 20 % and more; a test table that
# must land in a size band is created with every page sampled, so its estimate is its real size.
EXACT_ROW_ESTIMATE = "STATS_SAMPLE_PAGES=65535"
# Creating the system tables and starting InnoDB take a few seconds on an idle machine; a loaded one gets room.
MARIADB_START_TIMEOUT_S = 60
MARIADB_STOP_TIMEOUT_S = 30
ERROR_LOG_TAIL_BYTES = 2000
# mariadbd lives in sbin, which a non-root PATH often lacks.
MARIADB_BINARY_DIRS = "/usr/sbin:/usr/local/sbin"


def mariadb_settings(database: str | None = None) -> ConnectionSettings:
	"""Connection settings for the MariaDB the tests run against."""
	return ConnectionSettings(
		db_host=os.environ.get("PERF_ENGINE_TEST_DB_HOST", "127.0.0.1"),
		db_port=int(os.environ.get("PERF_ENGINE_TEST_DB_PORT", "3306")),
		db_user=os.environ.get("PERF_ENGINE_TEST_DB_USER", "root"),
		db_password=os.environ.get("PERF_ENGINE_TEST_DB_PASSWORD", ""),
		db_name=database,
	)


def redis_base_url() -> str:
	return os.environ.get("PERF_ENGINE_TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")


@contextlib.contextmanager
def temporary_database(prefix: str = "perf_engine_t") -> Iterator[str]:
	"""Create an empty database with a unique name and drop it afterwards."""
	name = f"{prefix}_{uuid.uuid4().hex[:10]}"
	admin = pymysql.connect(**_admin_kwargs(), autocommit=True)
	try:
		with admin.cursor() as cur:
			cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
		yield name
	finally:
		with admin.cursor() as cur:
			cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
		admin.close()


def _admin_kwargs() -> dict:
	settings = mariadb_settings()
	return {
		"host": settings.db_host,
		"port": settings.db_port,
		"user": settings.db_user,
		"password": settings.db_password,
		"charset": "utf8mb4",
	}


def connect_database(name: str) -> pymysql.Connection:
	"""An autocommit connection to a test database."""
	return pymysql.connect(**_admin_kwargs(), database=name, autocommit=True)


class ClaimedRedisDb:
	"""A Redis database number marked as owned by one test session."""

	def __init__(self, number: int, owner: str):
		self.number = number
		self.owner = owner
		self.url = f"{redis_base_url()}/{number}"
		self.client = redis.Redis.from_url(self.url)

	def reset(self) -> None:
		"""Empty the database but keep the claim, so no other session takes it meanwhile."""
		self.client.flushdb()
		self.client.set(CLAIM_KEY, self.owner, ex=CLAIM_TTL_S)


@contextlib.contextmanager
def claimed_redis_db() -> Iterator[ClaimedRedisDb]:
	"""Find an empty Redis database, mark it ours, and flush only it when done."""
	owner = f"{os.getpid()}-{uuid.uuid4().hex[:6]}"
	for number in TEST_REDIS_DBS:
		client = redis.Redis.from_url(f"{redis_base_url()}/{number}")
		if client.dbsize() == 0 and client.set(CLAIM_KEY, owner, nx=True, ex=CLAIM_TTL_S):
			if client.dbsize() == 1:
				try:
					yield ClaimedRedisDb(number, owner)
				finally:
					client.flushdb()
				return
			client.delete(CLAIM_KEY)
	raise RuntimeError(f"No empty Redis database among {list(TEST_REDIS_DBS)} at {redis_base_url()}")


class WorkerProcess:
	"""A real `rq worker` process listening on the given queues of a test Redis database.

	`own_pid_namespace` runs it as a container would: in a PID namespace of its own with its own
	/proc, and with `hostname` in a UTS namespace of its own too (this needs root)."""

	def __init__(
		self,
		url: str,
		queues: list[str],
		name: str | None = None,
		extra_args: list[str] | None = None,
		own_pid_namespace: bool = False,
		hostname: str | None = None,
	):
		self.url = url
		self.queues = queues
		self.name = name or f"test-worker-{uuid.uuid4().hex[:8]}"
		self.extra_args = extra_args or []
		self.own_pid_namespace = own_pid_namespace or hostname is not None
		self.hostname = hostname
		self.process: subprocess.Popen | None = None
		self.main_pid: int | None = None

	def start(self) -> "WorkerProcess":
		"""Spawn the worker and wait until it has registered itself in Redis."""
		env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
		cmd = [sys.executable, "-c", "from rq.cli import main; main()", "worker", "--url", self.url]
		cmd += ["--name", self.name, *self.extra_args, *self.queues]
		if self.own_pid_namespace:
			cmd = in_namespaces(cmd, self.hostname)
		self.process = subprocess.Popen(
			cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
		)
		try:
			self._wait_registered()
		except BaseException:
			# A worker left running would take the next tests' jobs from their queues.
			self.stop()
			raise
		return self

	def _wait_registered(self) -> None:
		connection = redis.Redis.from_url(self.url)
		deadline = time.monotonic() + WORKER_START_TIMEOUT_S
		while time.monotonic() < deadline:
			if Worker.find_by_key(Worker.redis_worker_namespace_prefix + self.name, connection=connection):
				self.main_pid = self._find_main()
				return
			if self.process.poll() is not None:
				raise RuntimeError(f"rq worker exited early: {self.process.stderr.read().decode()}")
			time.sleep(0.05)
		raise RuntimeError(f"rq worker {self.name} did not register within {WORKER_START_TIMEOUT_S}s")

	def _find_main(self) -> int:
		"""The worker's main process as this host numbers it: the topmost rq process under the namespace's init."""
		if not self.own_pid_namespace:
			return self.process.pid
		for process in psutil.Process(self.process.pid).children(recursive=True):
			if is_python(process) and not is_python(process.parent()):
				return process.pid
		raise RuntimeError(
			f"rq worker {self.name} registered but its process is not under {self.process.pid}"
		)

	def kill(self) -> None:
		"""SIGKILL the worker and its work horse at once, as an OOM killer or a crash would (in a namespace of
		its own, the whole namespace goes, as when a container is killed).

		The main process goes first: one that saw its horse die first would fail the job itself. Returns
		once every process is gone or a zombie, so nothing of it still runs the job."""
		processes = self._horses()
		os.kill(self.main_pid, signal.SIGKILL)
		kill_quietly(processes)
		self.process.send_signal(signal.SIGKILL)
		self.process.wait()
		wait_ended(processes)

	def _horses(self) -> list[psutil.Process]:
		"""The processes the worker forked (and in a namespace of its own, its init); none once it has gone."""
		try:
			return psutil.Process(self.process.pid).children(recursive=True)
		except psutil.NoSuchProcess:
			return []

	def horse_pid(self) -> int:
		"""The pid of the work horse the worker forked for its current job (waits for it)."""
		deadline = time.monotonic() + WORKER_START_TIMEOUT_S
		while time.monotonic() < deadline:
			children = psutil.Process(self.main_pid).children()
			if children:
				return children[0].pid
			time.sleep(0.05)
		raise RuntimeError(f"rq worker {self.name} forked no work horse within {WORKER_START_TIMEOUT_S}s")

	def kill_main(self) -> int:
		"""SIGKILL the worker's main process only, as an OOM killer picking it would; its horse lives on.

		Returns the horse's pid; the test must let it finish or end it."""
		horse = self.horse_pid()
		os.kill(self.main_pid, signal.SIGKILL)
		if self.own_pid_namespace:
			with contextlib.suppress(psutil.NoSuchProcess):
				psutil.Process(self.main_pid).wait(timeout=WORKER_START_TIMEOUT_S)
		else:
			self.process.wait()
		return horse

	def stop(self) -> None:
		"""Stop the worker and any work horse it forked: a horse outliving its test would write into
		the next test's Redis database."""
		if self.process and self.process.poll() is None:
			kill_quietly(self._horses())
			self.process.terminate()
			try:
				self.process.wait(timeout=10)
			except subprocess.TimeoutExpired:
				self.process.kill()
				self.process.wait()


def is_python(process: psutil.Process) -> bool:
	"""A process running this interpreter: the worker or its horse, not the shell that started them."""
	return process.cmdline()[:1] == [sys.executable]


def in_namespaces(cmd: list[str], hostname: str | None) -> list[str]:
	"""The command in a PID namespace of its own with its own /proc (and a UTS one named `hostname`).

	`sh` is the namespace's init and, once the worker has exited, becomes `sleep`, so the namespace
	(and a horse in it) outlives a killed worker's main process, as it does in a container whose
	init is not the worker."""
	flags = ["--pid", "--fork", "--mount-proc", "--kill-child", *(["--uts"] if hostname else [])]
	script = ('hostname "$0" && ' if hostname else "") + '"$@"; exec sleep infinity'
	return ["unshare", *flags, "sh", "-c", script, hostname or "sh", *cmd]


def wait_ended(processes: list[psutil.Process]) -> None:
	"""Wait until each process has gone or is a zombie (a horse handed to an init that does not reap)."""
	deadline = time.monotonic() + WORKER_START_TIMEOUT_S
	for process in processes:
		while time.monotonic() < deadline:
			try:
				if process.status() == psutil.STATUS_ZOMBIE:
					break
			except psutil.NoSuchProcess:
				break
			time.sleep(0.02)
		else:
			raise RuntimeError(f"pid {process.pid} still runs {WORKER_START_TIMEOUT_S}s after SIGKILL")


def kill_quietly(processes: list[psutil.Process]) -> None:
	"""SIGKILL each process; one that ended on its own meanwhile (a horse finishing its job) is fine."""
	for process in processes:
		with contextlib.suppress(psutil.NoSuchProcess):
			process.send_signal(signal.SIGKILL)


class RedisServer:
	"""A private redis-server on a free loopback port, for tests that change server settings."""

	def __init__(self, directory: Path):
		self.directory = directory
		self.port = free_port()
		self.process: subprocess.Popen | None = None

	def start(self) -> redis.Redis:
		self.process = subprocess.Popen(
			[
				"redis-server",
				"--port",
				str(self.port),
				"--bind",
				"127.0.0.1",
				"--save",
				"",
				"--appendonly",
				"no",
				"--dir",
				str(self.directory),
			],
			stdout=subprocess.DEVNULL,
		)
		client = redis.Redis(port=self.port)
		deadline = time.monotonic() + WORKER_START_TIMEOUT_S
		while time.monotonic() < deadline:
			try:
				client.ping()
				return client
			except redis.ConnectionError:
				time.sleep(0.05)
		raise RuntimeError(f"redis-server on port {self.port} did not start")

	def stop(self) -> None:
		if self.process and self.process.poll() is None:
			self.process.terminate()
			self.process.wait(timeout=10)


class MariaDBServer:
	"""A private mariadbd with performance_schema on, on a free loopback port, in a data directory of its
	own: the shared server has it off and turning it on needs a restart, which tests must not do to it."""

	def __init__(self):
		self.directory: Path | None = None
		self.port = free_port()
		self.process: subprocess.Popen | None = None

	def start(self) -> "MariaDBServer":
		"""Create the system tables (root with an empty password), start the server, wait until it answers."""
		# Short and under /tmp: the socket path must stay under the 108 bytes a Unix socket allows.
		self.directory = Path(tempfile.mkdtemp(prefix="pe_mariadb_"))
		try:
			self.install()
			self.process = subprocess.Popen(
				[_mariadb_binary("mariadbd"), "--no-defaults", *self.common_args(), *self.server_args()],
				stdout=subprocess.DEVNULL,
				stderr=subprocess.DEVNULL,
			)
			self.wait_until_answering()
		except BaseException:
			self.stop()
			raise
		return self

	def common_args(self) -> list[str]:
		# mariadbd refuses to run as root unless told to; as anyone else it runs as that user.
		return [f"--datadir={self.directory / 'data'}"] + (["--user=root"] if os.geteuid() == 0 else [])

	def install(self) -> None:
		"""The system tables, with root@localhost and root@127.0.0.1 signing in by an empty password."""
		try:
			subprocess.run(
				[
					_mariadb_binary("mariadb-install-db"),
					"--no-defaults",
					*self.common_args(),
					"--auth-root-authentication-method=normal",
					"--skip-test-db",
				],
				capture_output=True,
				check=True,
				timeout=MARIADB_START_TIMEOUT_S,
			)
		except subprocess.CalledProcessError as exc:
			raise RuntimeError(
				f"mariadb-install-db failed: {exc.stderr.decode()[-ERROR_LOG_TAIL_BYTES:]}"
			) from exc

	def server_args(self) -> list[str]:
		return [
			f"--socket={self.directory / 'sock'}",
			f"--pid-file={self.directory / 'mariadbd.pid'}",
			f"--log-error={self.directory / 'error.log'}",
			f"--port={self.port}",
			"--bind-address=127.0.0.1",
			"--skip-name-resolve",
			"--performance-schema=ON",
			"--innodb-buffer-pool-size=32M",
		]

	def wait_until_answering(self) -> None:
		deadline = time.monotonic() + MARIADB_START_TIMEOUT_S
		while time.monotonic() < deadline:
			if self.process.poll() is not None:
				raise RuntimeError(f"mariadbd exited at start: {self.error_log_tail()}")
			try:
				self.connect().close()
				return
			except pymysql.OperationalError:
				time.sleep(0.1)
		raise RuntimeError(
			f"mariadbd on port {self.port} did not answer within {MARIADB_START_TIMEOUT_S}s: {self.error_log_tail()}"
		)

	def error_log_tail(self) -> str:
		path = self.directory / "error.log"
		if not path.exists():
			return "no error log"
		with path.open("rb") as log:
			log.seek(max(0, path.stat().st_size - ERROR_LOG_TAIL_BYTES))
			return log.read().decode(errors="replace")

	def connect(self, database: str | None = None) -> pymysql.Connection:
		"""An autocommit root connection over TCP, with `database` as its default (as a site's has)."""
		return pymysql.connect(
			host="127.0.0.1",
			port=self.port,
			user="root",
			password="",
			database=database,
			charset="utf8mb4",
			autocommit=True,
		)

	def stop(self) -> None:
		"""Shut the server down cleanly (SIGTERM), kill it if it hangs, and remove its data directory."""
		if self.process and self.process.poll() is None:
			self.process.terminate()
			try:
				self.process.wait(timeout=MARIADB_STOP_TIMEOUT_S)
			except subprocess.TimeoutExpired:
				self.process.kill()
				self.process.wait()
		if self.directory:
			shutil.rmtree(self.directory, ignore_errors=True)


def _mariadb_binary(name: str) -> str:
	found = shutil.which(name, path=f"{os.environ.get('PATH', '')}:{MARIADB_BINARY_DIRS}")
	if not found:
		raise RuntimeError(f"{name} not found: install mariadb-server (it brings {name})")
	return found


def free_port() -> int:
	with socket.socket() as probe:
		probe.bind(("127.0.0.1", 0))
		return probe.getsockname()[1]
