"""What job statistics keep: per (site, method, queue) runs, failures and two histograms, failures grouped,
and per queue the worker time busy and available; summed over minutes and snapshots alike.

Runs are jobs that ended (RQ's finished and failed registries); run time is started to ended, queue
wait enqueued to started, both into the SLA's mergeable histograms (`core.latency.histogram`: exact
to a bucket, at most 19 % above the true value). A minute or a snapshot keeps at most MAX_METHOD_ROWS
method rows and MAX_FAILURE_GROUPS failure groups (each with the end of its newest traceback); the rest
are summed into "other" rows, so what is stored stays small whatever the bench runs: a few KB a minute
typically, about 50 KB at most.
"""

import math
from dataclasses import dataclass, field

from perf_engine.core.errors import InvalidInput
from perf_engine.core.jobstats.buckets import add_checked, checked, sparse
from perf_engine.core.jobstats.failures import MAX_EXAMPLE, Failure
from perf_engine.core.latency.histogram import Histogram

OTHER = "other"
MAX_METHOD_ROWS = 60
MAX_FAILURE_GROUPS = 20


@dataclass
class MethodCell:
	"""One method's jobs on one queue: how many ended, how many failed, run times and waits."""

	runs: int = 0
	failures: int = 0
	run: Histogram = field(default_factory=Histogram)
	wait: Histogram = field(default_factory=Histogram)

	def merge(self, other: "MethodCell") -> None:
		self.runs += other.runs
		self.failures += other.failures
		self.run.merge(other.run)
		self.wait.merge(other.wait)


@dataclass
class FailureGroup:
	"""Failures of one method with one exception and message: how many, first and last seen (epoch s),
	and the newest one's traceback and job."""

	count: int
	first_s: float
	last_s: float
	example: str
	job_id: str

	def merge(self, other: "FailureGroup") -> None:
		if other.last_s >= self.last_s:
			self.example, self.job_id = other.example, other.job_id
		self.count += other.count
		self.first_s = min(self.first_s, other.first_s)
		self.last_s = max(self.last_s, other.last_s)


MethodKey = tuple[str, str, str]  # site ("" outside a bench's sites), method, queue
FailureKey = tuple[str, str, str, str]  # site, method, exception, normalized message


@dataclass
class JobAggregate:
	"""Job statistics over some span: a minute, a snapshot's interval, a window."""

	methods: dict[MethodKey, MethodCell] = field(default_factory=dict)
	failures: dict[FailureKey, FailureGroup] = field(default_factory=dict)
	# queue -> [worker seconds busy, worker seconds available]
	usage: dict[str, list[float]] = field(default_factory=dict)

	def add_job(
		self,
		key: MethodKey,
		run_s: float | None,
		wait_s: float | None,
		failure: Failure | None = None,
		ended_s: float = 0.0,
		example: str = "",
		job_id: str = "",
	) -> None:
		"""One ended job; a failed one also joins its failure group."""
		cell = self.methods.setdefault(key, MethodCell())
		cell.runs += 1
		if run_s is not None and run_s >= 0:
			cell.run.add(run_s)
		if wait_s is not None and wait_s >= 0:
			cell.wait.add(wait_s)
		if failure is None:
			return
		cell.failures += 1
		group = FailureGroup(1, ended_s, ended_s, example, job_id)
		found = self.failures.setdefault((key[0], key[1], failure.exception, failure.message), group)
		if found is not group:
			found.merge(group)

	def add_usage(self, queue: str, busy_s: float, capacity_s: float) -> None:
		used = self.usage.setdefault(queue, [0.0, 0.0])
		used[0] += busy_s
		used[1] += capacity_s

	def merge(self, other: "JobAggregate") -> None:
		for key, cell in other.methods.items():
			self.methods.setdefault(key, MethodCell()).merge(cell)
		for key, group in other.failures.items():
			if key in self.failures:
				self.failures[key].merge(group)
			else:
				self.failures[key] = FailureGroup(**vars(group))
		for queue, (busy, capacity) in other.usage.items():
			self.add_usage(queue, busy, capacity)

	def of_site(self, site: str) -> "JobAggregate":
		"""This site's methods and failures, with every queue's usage (workers serve the whole bench)."""
		return JobAggregate(
			{key: cell for key, cell in self.methods.items() if key[0] == site},
			{key: group for key, group in self.failures.items() if key[0] == site},
			{queue: list(used) for queue, used in self.usage.items()},
		)

	def bounded(self) -> "JobAggregate":
		"""At most MAX_METHOD_ROWS method rows (the rest summed per queue as "other") and MAX_FAILURE_GROUPS
		failure groups (the rest summed into one)."""
		ranked = sorted(self.methods.items(), key=lambda item: -item[1].runs)
		methods = dict(ranked[:MAX_METHOD_ROWS])
		for (_, _, queue), cell in ranked[MAX_METHOD_ROWS:]:
			methods.setdefault(("", OTHER, queue), MethodCell()).merge(cell)
		groups = sorted(self.failures.items(), key=lambda item: -item[1].count)
		failures = dict(groups[:MAX_FAILURE_GROUPS])
		for _, group in groups[MAX_FAILURE_GROUPS:]:
			rest = failures.setdefault(("", OTHER, OTHER, ""), FailureGroup(0, group.first_s, 0.0, "", ""))
			rest.merge(group)
		return JobAggregate(methods, failures, self.usage)

	def to_json(self, example_chars: int = MAX_EXAMPLE) -> dict:
		"""What a minute or a snapshot stores: bounded, each failure's traceback cut to its last
		`example_chars` characters."""
		bounded = self.bounded()
		return {
			"m": [
				[*key, cell.runs, cell.failures, sparse(cell.run), sparse(cell.wait)]
				for key, cell in bounded.methods.items()
			],
			"f": [
				[*key, g.count, g.first_s, g.last_s, g.example[-example_chars:], g.job_id]
				for key, g in bounded.failures.items()
			],
			"u": [
				[queue, round(busy, 3), round(capacity, 3)] for queue, (busy, capacity) in self.usage.items()
			],
		}

	def add_checked(self, stored: dict, site: str | None = None) -> None:
		"""Add what `check` returned (only one site's jobs when `site` is given; every queue's usage)."""
		for row_site, method, queue, runs, failures, run, wait in stored["m"]:
			if site is not None and row_site != site:
				continue
			cell = self.methods.get((row_site, method, queue))
			if cell is None:
				cell = self.methods[(row_site, method, queue)] = MethodCell()
			cell.runs += runs
			cell.failures += failures
			add_checked(cell.run, run)
			add_checked(cell.wait, wait)
		for row in stored["f"]:
			if site is not None and row[0] != site:
				continue
			group = FailureGroup(*row[4:])
			if row[:4] in self.failures:
				self.failures[row[:4]].merge(group)
			else:
				self.failures[row[:4]] = group
		for queue, busy, capacity in stored["u"]:
			self.add_usage(queue, busy, capacity)

	def add_stored(self, stored: object) -> None:
		"""Add what `to_json` stored; anything malformed raises InvalidInput before anything is added."""
		self.add_checked(check(stored))

	@classmethod
	def from_json(cls, stored: object) -> "JobAggregate":
		found = cls()
		found.add_stored(stored)
		return found


def check(stored: object) -> dict:
	"""What `to_json` stored, every field checked for its type and range: {"m", "f", "u"} lists of tuples
	(histograms as `buckets.checked`), ready for `JobAggregate.add_checked`; InvalidInput otherwise."""
	try:
		return {
			"m": [method_row(*row) for row in stored.get("m", [])],
			"f": [failure_row(*row) for row in stored.get("f", [])],
			"u": [
				(text(q), max(0.0, finite(busy)), max(0.0, finite(cap)))
				for q, busy, cap in stored.get("u", [])
			],
		}
	except (AttributeError, KeyError, TypeError, ValueError) as exc:
		raise InvalidInput(f"Not stored job statistics: {exc}") from exc


def method_row(site, method, queue, runs, failures, run, wait) -> tuple:
	return (text(site), text(method), text(queue), whole(runs), whole(failures), checked(run), checked(wait))


def failure_row(site, method, exception, message, count, first, last, example, job_id) -> tuple:
	return (
		text(site),
		text(method),
		text(exception),
		text(message),
		whole(count),
		finite(first),
		finite(last),
		text(example),
		text(job_id),
	)


def whole(value: object) -> int:
	if type(value) is not int or value < 0:
		raise ValueError(f"not a count: {value!r}")
	return value


def finite(value: object) -> float:
	number = float(value)
	if not math.isfinite(number):
		raise ValueError(f"not a finite number: {value!r}")
	return number


def text(value: object) -> str:
	if type(value) is not str:
		raise ValueError(f"not a name: {value!r}")
	return value
