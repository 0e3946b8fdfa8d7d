"""Which host a process runs on, exactly enough to know whether its pids can be inspected from here.

A hostname alone does not say it: containers with host networking take the host's name,
compose files and pods can repeat one, and a pid recorded in one container's PID namespace
names another process (or none) in the next. A PID namespace's inode number alone does not
say it either: the initial namespace has the same one (4026531836) on every Linux machine.
So a host is the triple (hostname, kernel boot id, PID namespace). The boot id
(/proc/sys/kernel/random/boot_id) changes with every boot and is not namespaced: it tells
machines and VMs apart. The PID namespace (/proc/self/ns/pid) tells containers on one kernel
apart. The hostname is kept in the triple too, so a runtime that showed two sandboxes the same
ids would still need their names to match. When a part cannot be read, or this process's /proc
belongs to another PID namespace (/proc/self is not our own pid), the identity is incomplete
and matches nothing: the job is watched, never requeued on a guess.

A process on this host is then known by its pid and its start time in clock ticks since boot
(/proc/PID/stat), which a later process reusing the pid cannot share and a clock change cannot
move.
"""

import os
import socket
from dataclasses import dataclass

BOOT_ID_PATH = "/proc/sys/kernel/random/boot_id"
PID_NAMESPACE_PATH = "/proc/self/ns/pid"
OWN_PROC_PATH = "/proc/self"
PROC_STAT_PATH = "/proc/{0}/stat"
# A stat line is under 1 KB (the command name is at most 64 bytes); more is not a stat line.
PROC_STAT_MAX_BYTES = 4096
# Fields of /proc/PID/stat after the ")" that closes the command name: state is the first,
# starttime (field 22 of the whole line) the twentieth.
STATE_FIELD, START_FIELD = 0, 19
# A zombie has exited and only waits for its parent; "X" is a process being reaped.
ENDED_STATES = ("Z", "X")
ID_MAX_CHARS = 128
ROOT_UID = 0


@dataclass(frozen=True)
class Host:
	"""Where a process runs: its hostname, its kernel's boot and its PID namespace."""

	hostname: str | None
	boot_id: str | None
	pid_namespace: str | None

	@property
	def complete(self) -> bool:
		return bool(self.hostname and self.boot_id and self.pid_namespace)

	def same_as(self, other: "Host") -> bool:
		"""Pids recorded on `other` name the same processes here."""
		return self.complete and self == other


def this_host() -> Host:
	"""This process's host; read each time, as a process may be moved into another namespace."""
	return Host(socket.gethostname(), boot_id(), pid_namespace())


def boot_id() -> str | None:
	try:
		with open(BOOT_ID_PATH) as source:
			return source.read(ID_MAX_CHARS).strip() or None
	except OSError:
		return None


def pid_namespace() -> str | None:
	"""This process's PID namespace, when the /proc it sees shows that namespace's pids."""
	try:
		if os.readlink(OWN_PROC_PATH) != str(os.getpid()):
			return None
		return os.readlink(PID_NAMESPACE_PATH)[:ID_MAX_CHARS]
	except OSError:
		return None


def can_inspect(uid: int | None) -> bool:
	"""Whether this process sees every process of that user: /proc mounted with hidepid hides other users'
	processes from all but root, and a hidden horse must never look ended."""
	return uid is not None and os.geteuid() in (ROOT_UID, uid)


def start_ticks(pid: int) -> int | None:
	"""When a process on this host started, in clock ticks since boot; None when that cannot be read."""
	try:
		line = read_stat(pid)
	except OSError:
		return None
	return parse_stat(line)[1] if line else None


def read_stat(pid: int) -> bytes | None:
	"""A pid's stat line; None when no such process exists here (other failures raise OSError)."""
	try:
		with open(PROC_STAT_PATH.format(pid), "rb") as source:
			return source.read(PROC_STAT_MAX_BYTES)
	except (FileNotFoundError, ProcessLookupError):
		return None


def parse_stat(line: bytes) -> tuple[str | None, int | None]:
	"""(state, start ticks) from a /proc/PID/stat line; None for a part the line does not hold."""
	_, closed, rest = line.rpartition(b")")
	fields = rest.split() if closed else []
	state = fields[STATE_FIELD].decode("ascii", "replace") if len(fields) > STATE_FIELD else None
	start = fields[START_FIELD] if len(fields) > START_FIELD else b""
	return state, int(start) if start.isdigit() else None


def is_running(pid: int, started_ticks: int | None) -> bool:
	"""That very process (not a later one given the same pid) still exists here and has not ended.

	Only asked about pids recorded on this host by a user this process can see (`can_inspect`).
	An unreadable stat or an unrecorded start time is doubt, and doubt counts as running."""
	try:
		line = read_stat(pid)
	except OSError:
		return True
	if line is None:
		return False
	state, start = parse_stat(line)
	if state in ENDED_STATES:
		return False
	return started_ticks is None or start is None or start == started_ticks
