"""Read what Frappe's monitor recorded for one site, bounded in Redis time and in memory.

Frappe (with `monitor: 1` in site_config) appends one JSON entry per request and job to
the Redis list `<db_name>|monitor-transactions` (up to a million entries) when it ends;
`frappe.monitor.flush` moves them every minute to the bench's `logs/monitor.json.log`,
which every site of the bench shares. perf_engine reads both without taking anything from
Frappe's flush: the list from its newest end in pages of PAGE_SIZE (never one LRANGE of the
whole list), the log backwards in chunks from its end (at most LOG_MAX_BYTES), keeping
only this site's entries, and both only until the entries are older than the window.

What is kept per entry is its duration and its minute (8 bytes plus a counter), so memory
grows with the entries inside the window, never with the list or the log.
"""

import heapq
import json
import os
from array import array
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import redis

from perf_engine.core.latency.work_kinds import JOB, classify

MONITOR_KEY = "monitor-transactions"
# One page is ~300 KB and well under a millisecond of Redis time, so no other client waits.
PAGE_SIZE = 1000
LOG_CHUNK_BYTES = 1024 * 1024
LOG_MAX_BYTES = 64 * 1024 * 1024
# Entries are stored when they end, by processes whose clocks may differ a little.
ORDER_SLACK = timedelta(minutes=1)
# Entries in both the list and the log (a flush under way, and the one Frappe's flush leaves
# in the list) are among the oldest of the list: remember that many of its oldest ids.
DEDUP_MAX = 100_000
OTHER_SITES_DATED_EVERY = 1000
MICROSECONDS = 1_000_000
SECONDS_PER_MINUTE = 60
# Endpoints past this many distinct ones share one row, so a window of odd paths stays small.
MAX_ENDPOINTS = 500
OTHER_ENDPOINTS = "(other endpoints)"
# The longest jobs are checked against their own RQ timeout.
LONGEST_JOBS_KEPT = 200


@dataclass(frozen=True)
class Transaction:
	"""One request or job as Frappe's monitor recorded it."""

	kind: str
	name: str
	at: datetime
	duration_s: float
	wait_s: float = 0.0
	uuid: str = ""
	site: str = ""

	@property
	def ended_at(self) -> datetime:
		return self.at + timedelta(seconds=self.duration_s)


def parse_entry(raw: bytes | str) -> Transaction | None:
	"""Decode one monitor entry; malformed entries are skipped, not fatal."""
	try:
		entry = json.loads(raw)
		at = datetime.fromisoformat(entry["timestamp"])
		if at.tzinfo is None:
			at = at.replace(tzinfo=timezone.utc)
		kind = entry["transaction_type"]
		detail = entry.get(kind) or {}
		name = detail.get("path") if kind == "request" else detail.get("method")
		return Transaction(
			kind=kind,
			name=name or "",
			at=at,
			duration_s=entry["duration"] / MICROSECONDS,
			wait_s=detail.get("wait", 0) / MICROSECONDS,
			uuid=str(entry.get("uuid") or ""),
			site=str(entry.get("site") or ""),
		)
	except (ValueError, KeyError, TypeError, AttributeError):
		return None


@dataclass
class KindWindow:
	"""Durations (seconds) and arrivals per minute of one kind of transaction."""

	durations: array = field(default_factory=lambda: array("d"))
	per_minute: Counter = field(default_factory=Counter)

	@property
	def samples(self) -> int:
		return len(self.durations)


class MonitorWindow:
	"""What the monitor recorded since `since`, per kind ("request", "job")."""

	def __init__(self, since: datetime, until: datetime | None = None):
		self.since = since
		# Entries that started at or after `until` belong to the next interval (snapshots).
		self.until = until
		self.kinds: dict[str, KindWindow] = {}
		# Durations per kind of work (`work_kinds`) and per (kind of work, endpoint), for SLAs.
		self.work: dict[str, array] = {}
		self.endpoints: dict[tuple[str, str], array] = {}
		# (duration_s, job id, method) of the longest jobs, a min-heap.
		self.longest_jobs: list[tuple[float, str, str]] = []
		# True when the log's bounded tail ended before the window's start.
		self.truncated = False

	@classmethod
	def of(cls, transactions: Iterable[Transaction], since: datetime) -> "MonitorWindow":
		window = cls(since)
		for transaction in transactions:
			window.add(transaction)
		return window

	def add(self, transaction: Transaction) -> None:
		if transaction.at < self.since or (self.until is not None and transaction.at >= self.until):
			return
		kind = self.kinds.get(transaction.kind)
		if kind is None:
			kind = self.kinds[transaction.kind] = KindWindow()
		kind.durations.append(transaction.duration_s)
		kind.per_minute[int(transaction.at.timestamp()) // SECONDS_PER_MINUTE] += 1
		self.add_work(transaction)

	def add_work(self, transaction: Transaction) -> None:
		"""File the duration under its kind of work and endpoint; keep the longest jobs."""
		key = classify(transaction.kind, transaction.name)
		work = key[0]
		self.work.setdefault(work, array("d")).append(transaction.duration_s)
		if key not in self.endpoints and len(self.endpoints) >= MAX_ENDPOINTS:
			key = (work, OTHER_ENDPOINTS)
		self.endpoints.setdefault(key, array("d")).append(transaction.duration_s)
		if transaction.kind == JOB:
			job = (transaction.duration_s, transaction.uuid, transaction.name)
			if len(self.longest_jobs) < LONGEST_JOBS_KEPT:
				heapq.heappush(self.longest_jobs, job)
			else:
				heapq.heappushpop(self.longest_jobs, job)

	def kind(self, name: str) -> KindWindow | None:
		return self.kinds.get(name)

	def __len__(self) -> int:
		return sum(kind.samples for kind in self.kinds.values())


def log_path(bench_path: str) -> str:
	"""Where frappe.monitor.flush appends every site's entries."""
	return os.path.join(bench_path, "logs", "monitor.json.log")


def read_window(
	client: redis.Redis | None,
	prefix: str,
	log_file: str | None,
	site: str | None,
	window: timedelta,
	now: datetime | None = None,
	until: datetime | None = None,
) -> MonitorWindow:
	"""This site's entries of the last `window`, from its Redis list (`prefix`) and the shared log;
	with `until`, only those that started before it."""
	measured = MonitorWindow((now or datetime.now(timezone.utc)) - window, until)
	in_redis = read_redis(client, prefix, measured) if client is not None and prefix else OrderedDict()
	if log_file and site:
		read_log(log_file, site, measured, in_redis)
	return measured


def redis_pages(client: redis.Redis, key: str, page_size: int = PAGE_SIZE) -> Iterator[list[bytes]]:
	"""Pages of the list from its newest end. Indices count from the end, so entries appended
	meanwhile only make pages overlap, never skip one; a page shorter than asked is the last."""
	stop = -1
	while True:
		page = client.lrange(key, stop - page_size + 1, stop)
		if page:
			yield page
		if len(page) < page_size:
			return
		stop -= page_size


def read_redis(client: redis.Redis, prefix: str, measured: MonitorWindow) -> OrderedDict:
	"""Entries still waiting in Redis for Frappe's flush, read (never consumed) back to the window's
	start; returns the ids of the oldest ones read, which the log may repeat."""
	oldest_ids: OrderedDict = OrderedDict()
	horizon = measured.since - ORDER_SLACK
	for page in redis_pages(client, prefix + MONITOR_KEY):
		newest = None
		for transaction in filter(None, map(parse_entry, reversed(page))):
			newest = newest or transaction
			measured.add(transaction)
			remember(oldest_ids, transaction.uuid)
		# The list is in the order entries ended; ORDER_SLACK covers processes' clocks.
		if newest is not None and newest.ended_at < horizon:
			break
	return oldest_ids


def remember(ids: OrderedDict, uuid: str) -> None:
	"""Keep the last DEDUP_MAX ids seen (the oldest entries, since the list is read newest first)."""
	if uuid:
		ids[uuid] = None
		if len(ids) > DEDUP_MAX:
			ids.popitem(last=False)


def log_lines_backwards(path: str, max_bytes: int) -> Iterator[bytes]:
	"""Whole lines of the file from its end, reading at most `max_bytes` in bounded chunks."""
	with open(path, "rb") as log:
		position = log.seek(0, os.SEEK_END)
		floor = max(0, position - max_bytes)
		carry = b""
		while position > floor:
			size = min(LOG_CHUNK_BYTES, position - floor)
			position -= size
			log.seek(position)
			lines = (log.read(size) + carry).split(b"\n")
			carry = lines.pop(0)
			yield from filter(None, reversed(lines))
		if carry and position == 0:
			yield carry


def read_log(path: str, site: str, measured: MonitorWindow, in_redis: OrderedDict) -> None:
	"""This site's entries already flushed to the bench's log, from its end back to the window's
	start; entries also read from Redis, and the line Frappe's flush writes twice, count once."""
	if not os.path.isfile(path):
		return
	marker = json.dumps(site).encode()
	horizon = measured.since - ORDER_SLACK
	previous_uuid = None
	reached_start = False
	for number, line in enumerate(log_lines_backwards(path, LOG_MAX_BYTES)):
		# Other sites' lines are only dated now and then, to stop at the window's start.
		if marker not in line and number % OTHER_SITES_DATED_EVERY:
			continue
		transaction = parse_entry(line)
		if transaction is not None and transaction.ended_at < horizon:
			reached_start = True
			break
		if transaction is None or transaction.site != site:
			continue
		if transaction.uuid != previous_uuid and transaction.uuid not in in_redis:
			measured.add(transaction)
		previous_uuid = transaction.uuid
	measured.truncated = not reached_start and os.path.getsize(path) > LOG_MAX_BYTES
