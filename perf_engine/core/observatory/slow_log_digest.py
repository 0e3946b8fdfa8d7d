"""A slow log file read once and then only as it grows: executions kept per fingerprint, per process.

The first read of a file takes its bounded tail (16 MB: parsing and fingerprinting it costs about
a second per 50,000 entries); later reads take only the bytes appended since, so a page that
refreshes answers from memory. Entries up to the last header in the file are kept; the last
entry, which the server may still be writing, is parsed afresh on each read and never kept. A
file that was rotated (another inode), truncated, or grew by more than the tail since the last
read is read again from its tail. At most MAX_KEPT executions are kept: past that the digest
starts over from the tail. Per (database, fingerprint): each execution's time, lock time, rows
and moment (in file order, so a window is found by bisection), the slowest example and the latest.
"""

import bisect
import os
import re
import threading
from dataclasses import dataclass, field

from perf_engine.core.indexes import slow_log
from perf_engine.core.observatory.executions import Execution
from perf_engine.core.observatory.fingerprint import fingerprint

MAX_KEPT = 250_000
MAX_FILES = 8
HEADER_START = re.compile(rb"^# (?:Time|User@Host): ", re.MULTILINE)
EXAMPLE_CHARS = 2000


@dataclass
class Series:
	"""One database's executions of one fingerprint, in file order."""

	ats: list[float] = field(default_factory=list)
	times: list[float] = field(default_factory=list)
	locks: list[float] = field(default_factory=list)
	examined: list[int] = field(default_factory=list)
	sent: list[int] = field(default_factory=list)
	slowest: tuple[float, float, str] = (-1.0, 0.0, "")  # (time, at, sql)
	latest: str = ""

	def add(self, entry: slow_log.SlowLogEntry) -> None:
		self.ats.append(entry.at)
		self.times.append(entry.query_time_s)
		self.locks.append(entry.lock_time_s)
		self.examined.append(entry.rows_examined)
		self.sent.append(entry.rows_sent)
		if entry.query_time_s > self.slowest[0]:
			self.slowest = (entry.query_time_s, entry.at, entry.sql[:EXAMPLE_CHARS])
		self.latest = entry.sql[:EXAMPLE_CHARS]

	def since(self, moment: float) -> int:
		"""The index of the first execution at or after `moment`."""
		return bisect.bisect_left(self.ats, moment)


class SlowLogDigest:
	"""One file's kept executions and where reading stopped."""

	def __init__(self, path: str, tail_bytes: int):
		self.path, self.tail_bytes = path, tail_bytes
		self.lock = threading.Lock()
		self.reset(None)

	def reset(self, inode: int | None) -> None:
		self.inode, self.offset, self.kept, self.undated = inode, 0, 0, 0
		self.truncated = False
		self.schema: str | None = None
		self.series: dict[tuple[str | None, str], Series] = {}

	def refresh(self) -> list[slow_log.SlowLogEntry]:
		"""Keep what was appended since the last read; the entries still being written, parsed but not kept."""
		stat = os.stat(self.path)
		if (
			stat.st_ino != self.inode
			or stat.st_size < self.offset
			or stat.st_size - self.offset > self.tail_bytes
			or self.kept > MAX_KEPT
		):
			self.reset(stat.st_ino)
			self.truncated = stat.st_size > self.tail_bytes
			self.offset = max(0, stat.st_size - self.tail_bytes)
		with open(self.path, "rb") as log:
			log.seek(self.offset)
			data = log.read(stat.st_size - self.offset)
		if self.offset and not self.series and self.truncated:
			start = data.find(b"\n") + 1 if b"\n" in data else len(data)  # the tail starts mid-line
			self.offset += start
			data = data[start:]
		headers = [match.start() for match in HEADER_START.finditer(data)]
		cut = headers[-1] if headers else 0
		self.keep(data[:cut].decode(errors="replace"))
		self.offset += cut
		return list(slow_log.entries(data[cut:].decode(errors="replace"), self.schema))

	def keep(self, text: str) -> None:
		for entry in slow_log.entries(text, self.schema):
			self.schema = entry.schema
			if entry.at is None:
				self.undated += 1
				continue
			key = (entry.schema, fingerprint(entry.sql))
			series = self.series.get(key)
			if series is None:
				series = self.series[key] = Series()
			series.add(entry)
			self.kept += 1


_digests: dict[str, SlowLogDigest] = {}
_digests_lock = threading.Lock()


def digest_of(path: str, tail_bytes: int = slow_log.SLOW_LOG_TAIL_BYTES) -> SlowLogDigest:
	"""This process's digest of the file (a few files at most)."""
	with _digests_lock:
		found = _digests.get(path)
		if found is None or found.tail_bytes != tail_bytes:
			if len(_digests) >= MAX_FILES:
				_digests.pop(next(iter(_digests)))
			found = _digests[path] = SlowLogDigest(path, tail_bytes)
		return found


def forget() -> None:
	"""Drop every kept digest (tests, and a process that wants the memory back)."""
	with _digests_lock:
		_digests.clear()
