"""Where a job whose worker stopped heartbeating may still be running: its work horse.

rq 1.15 keeps no horse pid in Redis. The worker's hash holds its main process's `pid`,
`hostname` and `birth`; the horse's pid lives only in the main process's memory. A horse
is forked by the main process, calls setsid() at once, then writes the job's `started_at`.
So, looked for on the worker's own host:
- the main process still exists (that pid, started before the worker's `birth`): the
  worker is hung or stopped, not dead, and its horse may be running;
- otherwise a horse is a worker process (`worker` is one of its arguments: `rq worker`,
  `frappe worker`, `frappe worker-pool`) leading its own session, started at most
  FORK_TO_START_S before the job's `started_at`, whose parent does not run the same
  program: a live worker's horse has that worker as parent, an orphaned horse was handed
  to init or a subreaper. (With setproctitle installed RQ titles the horse
  `rq:worker:<name>: Processing ...`, which names it outright.)
A worker on another host is out of sight: the job may still be running there. Doubt
counts as "may be running": a wrong "running" only delays a requeue, a wrong "dead" runs
the job twice.
"""

import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime

import psutil

from perf_engine.core.jobs.workers import WorkerState

logger = logging.getLogger(__name__)

HERE, ELSEWHERE, NOWHERE = "here", "elsewhere", "nowhere"
# From fork to the horse writing started_at: setsid, signal set-up, one Redis round trip.
FORK_TO_START_S = 10
# psutil derives start times from the boot time, which /proc gives in whole seconds.
CLOCK_SLACK_S = 2
# The argument that makes a command line an RQ worker's: `rq worker`, `bench_helper frappe worker`.
WORKER_ARGUMENTS = ("worker", "worker-pool")


@dataclass(frozen=True)
class Whereabouts:
	"""Whether a job may still be running: on this host (with the pid), on another one, or nowhere."""

	place: str
	host: str | None
	pid: int | None
	detail: str

	@property
	def may_be_running(self) -> bool:
		return self.place != NOWHERE


def this_host() -> str:
	"""The name RQ records as a worker's hostname when it runs here."""
	return socket.gethostname()


def whereabouts(
	worker_name: str | None, worker: WorkerState | None, started_at: datetime | None
) -> Whereabouts:
	"""Where the job of a worker that stopped heartbeating may still run, in words an operator can act on."""
	name, host, here = worker_name or "unknown", worker.hostname if worker else None, this_host()
	if host and host != here:
		return Whereabouts(
			ELSEWHERE,
			host,
			None,
			f"worker {name} on host {host} stopped heartbeating; the job may still be running on {host}, "
			"where perf_engine cannot see processes: check there before requeueing",
		)
	if worker and worker.pid and is_worker_process(worker.pid, worker.birth):
		horse = child_of(worker.pid)
		running = (
			f"its work horse (pid {horse}) may still be running the job" if horse else "the job may still run"
		)
		return Whereabouts(
			HERE,
			here,
			horse or worker.pid,
			f"worker {name} (pid {worker.pid} on {here}) still exists but stopped heartbeating: it is hung or "
			f"stopped, and {running}",
		)
	horse = find_horse(name, started_at)
	if horse:
		return Whereabouts(
			HERE,
			here,
			horse,
			f"worker {name} is dead but its work horse (pid {horse} on {here}) is still running the job, "
			"which can still finish",
		)
	unknown_host = "" if host else "; its worker's record has expired, so only this host was searched"
	return Whereabouts(
		NOWHERE,
		host or here,
		None,
		f"worker {name} is dead and no process on {here} runs the job{unknown_host}",
	)


def is_worker_process(pid: int, birth: datetime | None) -> bool:
	"""The worker's main process still exists: that pid, started no later than the worker registered."""
	try:
		started = psutil.Process(pid).create_time()
	except psutil.Error:
		return False
	return birth is None or started <= birth.timestamp() + CLOCK_SLACK_S


def child_of(pid: int) -> int | None:
	"""The horse a live worker forked, if it has one now."""
	try:
		children = psutil.Process(pid).children()
	except psutil.Error:
		return None
	return children[0].pid if children else None


def find_horse(worker_name: str, started_at: datetime | None) -> int | None:
	"""The pid of a live process on this host that is this job's work horse, or None."""
	if started_at is None:
		return None
	start = started_at.timestamp()
	title = f"rq:worker:{worker_name}: Processing"
	for process in psutil.process_iter(["pid", "ppid", "create_time", "cmdline"]):
		info = process.info
		if info["pid"] == os.getpid():
			continue
		if info["cmdline"] and info["cmdline"][0].startswith(title):
			return info["pid"]
		created = info["create_time"]
		if (
			created
			and start - FORK_TO_START_S <= created <= start + CLOCK_SLACK_S
			and is_orphaned_horse(info)
		):
			return info["pid"]
	return None


def is_orphaned_horse(info: dict) -> bool:
	"""A worker's session leader whose parent runs another program: a horse whose worker died."""
	if not any(argument in WORKER_ARGUMENTS for argument in info["cmdline"] or ()):
		return False
	try:
		if os.getsid(info["pid"]) != info["pid"]:
			return False
		parent = psutil.Process(info["ppid"]).cmdline()
	except (ProcessLookupError, PermissionError):
		return False
	except psutil.NoSuchProcess:
		return True
	except psutil.AccessDenied:
		logger.info("cannot read the parent of pid %s; counting it as a possible horse", info["pid"])
		return True
	return parent != info["cmdline"]
