"""Where a job whose worker stopped heartbeating may still be running: its work horse.

A job's host is the one its horse recorded as the job started (`worker_hosts`), never a
hostname read from rq's worker hash: only a worker on this very host (same hostname, kernel
boot and PID namespace, see `hosts`) can be inspected from here, and only by a process that
sees its user's processes. On this host:
- the worker's main process still exists (its pid with its recorded start time): the worker is
  hung or stopped, not dead, and its horse may be running;
- the horse recorded for this job still exists (its pid with its start time): it runs the job,
  which can still finish; ended (gone, a zombie, or its pid taken by a later process): nothing
  runs the job, which is then an orphan;
- the worker's record names a later job (or this one was not recorded): a horse is searched
  among this host's processes. rq 1.15 keeps no horse pid in Redis. A horse is forked by the
  main process, calls setsid() at once, then writes the job's `started_at`; so a horse is a
  worker process (`worker` is one of its arguments: `rq worker`, `frappe worker`, `frappe
  worker-pool`) leading its own session, started at most FORK_TO_START_S before the job's
  `started_at`, whose parent does not run the same program: a live worker's horse has that
  worker as parent, an orphaned horse was handed to init or a subreaper. (With setproctitle
  installed RQ titles the horse `rq:worker:<name>: Processing ...`, which names it outright.)
A worker on another host, or whose host is not known (no record, or it was forgotten), is out of
sight: the job may still be running there. Doubt counts as "may be running": a wrong "running"
only delays a requeue, a wrong "dead" runs the job twice.
"""

import logging
import os
from dataclasses import dataclass
from datetime import datetime

import psutil

from perf_engine.core.jobs.hosts import Host, can_inspect, is_running, this_host
from perf_engine.core.jobs.worker_hosts import WorkerHost
from perf_engine.core.jobs.workers import WorkerState

logger = logging.getLogger(__name__)

HERE, ELSEWHERE, UNKNOWN, NOWHERE = "here", "elsewhere", "unknown", "nowhere"
# From fork to the horse writing started_at: setsid, signal set-up, one Redis round trip.
FORK_TO_START_S = 10
# psutil derives start times from the boot time, which /proc gives in whole seconds.
CLOCK_SLACK_S = 2
# The argument that makes a command line an RQ worker's: `rq worker`, `bench_helper frappe worker`.
WORKER_ARGUMENTS = ("worker", "worker-pool")
OUT_OF_SIGHT = "(cannot be inspected from here)"


@dataclass(frozen=True)
class Whereabouts:
	"""Whether a job may still be running: on this host (with the pid), on another or an unknown one, or nowhere."""

	place: str
	host: str | None
	pid: int | None
	detail: str

	@property
	def may_be_running(self) -> bool:
		return self.place != NOWHERE


def whereabouts(
	job_id: str,
	worker_name: str | None,
	worker: WorkerState | None,
	remembered: WorkerHost | None,
	started_at: datetime | None,
) -> Whereabouts:
	"""Where the job of a worker that stopped heartbeating may still run, in words an operator can act on."""
	if worker_name is None and started_at is None:
		# rq writes a job's worker and start time together, as its horse takes it.
		return Whereabouts(NOWHERE, None, None, "no worker ever started it")
	name = worker_name or "unknown"
	if remembered is None:
		return unrecorded(name, worker.hostname if worker else None)
	here = this_host()
	if not here.same_as(remembered.host) or not can_inspect(remembered.uid):
		return elsewhere(name, remembered, here)
	return on_this_host(name, job_id, remembered, started_at)


def unrecorded(name: str, hostname: str | None) -> Whereabouts:
	"""No record of the worker's host: rq's hostname, if rq still has one, is a name, not a place to look."""
	if hostname:
		return Whereabouts(
			ELSEWHERE,
			hostname,
			None,
			f"worker {name} on host {hostname} stopped heartbeating; the job may still be running on host "
			f"{hostname} {OUT_OF_SIGHT}: perf_engine holds no record of that worker's kernel boot and PID "
			"namespace, so it cannot tell that host from this one; check there before requeueing",
		)
	return Whereabouts(
		UNKNOWN,
		None,
		None,
		f"worker {name} stopped heartbeating and neither rq nor perf_engine still knows its host; the job may "
		f"still be running on an unknown host {OUT_OF_SIGHT}: check the hosts that run workers before requeueing",
	)


def elsewhere(name: str, remembered: WorkerHost, here: Host) -> Whereabouts:
	"""Recorded on another host, or on this one by a user whose processes this one may not see."""
	host = remembered.host.hostname or "unknown"
	if here.same_as(remembered.host):
		why = f"; its worker runs as uid {remembered.uid}, whose processes uid {os.geteuid()} may not see"
	elif not here.complete:
		why = "; this process cannot read its own kernel boot and PID namespace"
	elif host == here.hostname:
		why = "; it has this host's name but another kernel boot or PID namespace"
	else:
		why = ""
	return Whereabouts(
		ELSEWHERE,
		host,
		None,
		f"worker {name} on host {host} stopped heartbeating; the job may still be running on host {host} "
		f"{OUT_OF_SIGHT}{why}; check there before requeueing",
	)


def on_this_host(name: str, job_id: str, remembered: WorkerHost, started_at: datetime | None) -> Whereabouts:
	"""Judged by the processes this host runs: the worker's, then the horse's."""
	host = remembered.host.hostname
	own_horse = remembered.job_id == job_id
	horse = (
		remembered.horse_pid
		if own_horse and is_running(remembered.horse_pid, remembered.horse_started)
		else None
	)
	if is_running(remembered.worker_pid, remembered.worker_started):
		horse = horse if own_horse else child_of(remembered.worker_pid)
		running = (
			f"its work horse (pid {horse}) may still be running the job" if horse else "the job may still run"
		)
		return Whereabouts(
			HERE,
			host,
			horse or remembered.worker_pid,
			f"worker {name} (pid {remembered.worker_pid} on {host}) still exists but stopped heartbeating: it is "
			f"hung or stopped, and {running}",
		)
	if not own_horse:
		horse = find_horse(name, started_at)
	if horse:
		return Whereabouts(
			HERE,
			host,
			horse,
			f"worker {name} is dead but its work horse (pid {horse} on {host}) is still running the job, "
			"which can still finish",
		)
	ended = f": its work horse (pid {remembered.horse_pid}) has ended" if own_horse else ""
	return Whereabouts(
		NOWHERE, host, None, f"worker {name} is dead and no process on {host} runs the job{ended}"
	)


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
