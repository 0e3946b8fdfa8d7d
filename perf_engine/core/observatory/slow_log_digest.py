"""A slow log file read newest first within a time budget, then only as it grows: executions kept per
fingerprint, per process.

Parsing and fingerprinting cost about a second per 50,000 entries, so no call reads the whole tail
at once: the first call finds the last entry, and each call then reads backwards, CHUNK_BYTES at a
time, for at most its budget, until the file's bounded tail (16 MB) is kept. The newest entries,
which a window of the last hour wants, are read first, and a page that refreshes fills in the rest
(`coverage` says how much is read). Later calls first take the bytes appended since. The last
entry, which the server may still be writing, is parsed afresh on each call and never kept. A file
that was rotated (another inode), truncated, or grew by more than CATCH_UP_BYTES since the last call
is read again from its end. At most MAX_KEPT executions are kept: past that the digest starts over.
Per (database, fingerprint): each execution's time, lock time, rows and moment (in file order, so a
window is found by bisection), the slowest example and the latest.
"""

import bisect
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from perf_engine.core.indexes import slow_log
from perf_engine.core.observatory.executions import Execution
from perf_engine.core.observatory.fingerprint import fingerprint

MAX_KEPT = 250_000
MAX_FILES = 8
CHUNK_BYTES = 128 * 1024
CATCH_UP_BYTES = 512 * 1024
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

	def extend(self, newer: "Series") -> None:
		"""Executions read from later in the file go after these."""
		self.ats += newer.ats
		self.times += newer.times
		self.locks += newer.locks
		self.examined += newer.examined
		self.sent += newer.sent
		if newer.slowest[0] > self.slowest[0]:
			self.slowest = newer.slowest
		self.latest = newer.latest or self.latest

	def since(self, moment: float) -> int:
		"""The index of the first execution at or after `moment`."""
		return bisect.bisect_left(self.ats, moment)


@dataclass
class Coverage:
	"""How much of the file's bounded tail the digest holds."""

	read_bytes: int
	tail_bytes: int
	truncated: bool  # the file is longer than the tail: older entries are never read

	@property
	def complete(self) -> bool:
		return self.read_bytes >= self.tail_bytes

	def as_dict(self) -> dict:
		fraction = self.read_bytes / self.tail_bytes if self.tail_bytes else 1.0
		return {"complete": self.complete, "read_fraction": round(min(fraction, 1.0), 4)}


class SlowLogDigest:
	"""One file's kept executions: from `low` (read backwards so far) to `offset` (the entry being written)."""

	def __init__(self, path: str, tail_bytes: int):
		self.path, self.tail_bytes = path, tail_bytes
		self.lock = threading.Lock()
		self.reset(None, 0)

	def reset(self, inode: int | None, size: int) -> None:
		self.inode, self.kept, self.undated = inode, 0, 0
		self.floor = max(0, size - self.tail_bytes)
		self.truncated = self.floor > 0
		self.offset = self.low = size
		self.series: dict[tuple[str | None, str], Series] = {}

	def coverage(self) -> Coverage:
		return Coverage(self.offset - self.low, self.offset - self.floor, self.truncated)

	def refresh(
		self, budget_s: float | None = None, on_progress: Callable[[int, int], None] | None = None
	) -> list[slow_log.SlowLogEntry]:
		"""Keep what was appended, then older entries for at most `budget_s` (None: the whole tail);
		the entries still being written, parsed but not kept. `on_progress(read, tail)` after each chunk."""
		deadline = None if budget_s is None else time.monotonic() + budget_s
		stat = os.stat(self.path)
		with open(self.path, "rb") as log:
			if self.must_start_over(stat):
				self.reset(stat.st_ino, stat.st_size)
				self.offset = self.low = self.last_header(log)
			pending = self.read_appended(log, stat.st_size)
			while self.low > self.floor:  # one chunk at least, so every call gets further
				self.read_older(log)
				if on_progress:
					coverage = self.coverage()
					on_progress(coverage.read_bytes, coverage.tail_bytes)
				if deadline is not None and time.monotonic() >= deadline:
					break
		return pending

	def must_start_over(self, stat: os.stat_result) -> bool:
		return (
			stat.st_ino != self.inode
			or stat.st_size < self.offset
			or stat.st_size - self.offset > CATCH_UP_BYTES
			or self.kept > MAX_KEPT
		)

	def last_header(self, log: BinaryIO) -> int:
		"""Where the file's last entry starts (the floor when the tail holds no header)."""
		end = log.seek(0, os.SEEK_END)
		span = CHUNK_BYTES
		while True:
			start = max(self.floor, end - span)
			log.seek(start)
			headers = [match.start() for match in HEADER_START.finditer(log.read(end - start))]
			if headers:
				return start + headers[-1]
			if start == self.floor:
				return self.floor
			span *= 2

	def read_appended(self, log: BinaryIO, size: int) -> list[slow_log.SlowLogEntry]:
		"""Keep the entries closed since the last call; return the one (or ones) still open."""
		log.seek(self.offset)
		data = log.read(size - self.offset)
		headers = [match.start() for match in HEADER_START.finditer(data)]
		cut = headers[-1] if headers else 0
		for key, newer in self.parse(data[:cut]).items():
			self.series.setdefault(key, Series()).extend(newer)
		self.offset += cut
		return list(slow_log.entries(data[cut:].decode(errors="replace")))

	def read_older(self, log: BinaryIO) -> None:
		"""Keep the whole entries of the next CHUNK_BYTES (or more, for one long entry) before `low`."""
		span = CHUNK_BYTES
		while True:
			start = max(self.floor, self.low - span)
			log.seek(start)
			data = log.read(self.low - start)
			first = HEADER_START.search(data)
			if first or start == self.floor:
				break
			span *= 2
		skip = 0 if start == 0 else first.start() if first else len(data)  # a cut entry is not read
		for key, older in self.parse(data[skip:]).items():
			found = self.series.get(key)
			if found is not None:
				older.extend(found)
			self.series[key] = older
		self.low = start + skip if start > self.floor else self.floor

	def parse(self, data: bytes) -> dict[tuple[str | None, str], Series]:
		"""Whole entries' executions per (database, fingerprint), in file order."""
		found: dict[tuple[str | None, str], Series] = {}
		for entry in slow_log.entries(data.decode(errors="replace")):
			if entry.at is None:
				self.undated += 1
				continue
			key = (entry.schema, fingerprint(entry.sql))
			series = found.get(key)
			if series is None:
				series = found[key] = Series()
			series.add(entry)
			self.kept += 1
		return found


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
