"""Job statistics over a window: per method, failures grouped, per queue (utilization, queue wait, the
capacity hint) and the workers' own counters; and the last 15 minutes the health check and the
`job_queue_wait` threshold judge.

Measures: runs and failures are jobs that ended in the window (RQ's finished and failed registries,
a job retried by RQ counts once, with its last outcome); run time (started to ended) and queue wait
(enqueued to started, from RQ's own job hash) as percentiles of the summed histograms, exact to a
bucket (at most 19 % above the true value, never below); utilization as the workers' busy seconds
over their available seconds (`utilization`); the workers' successes, failures and working time as
RQ's own counters read now. Minutes come from Redis (the last RETAIN_MINUTES); a window reaching
further back adds the site's snapshots.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone

import redis

from perf_engine.core.jobstats import minutes, utilization, verdict
from perf_engine.core.jobstats.aggregate import OTHER, FailureGroup, JobAggregate, MethodCell
from perf_engine.core.jobstats.failures import advice
from perf_engine.core.jobstats.keys import MINUTE_S, RETAIN_MINUTES, minute_of
from perf_engine.core.jobstats.minutes import Span
from perf_engine.core.latency.histogram import Histogram

PERCENTILES = (50, 95, 99)
MAX_METHODS = 100
# Methods with metric series of their own (the API's and the CLI's alike); the rest are summed as "other".
METRIC_METHODS = 10
MAX_FAILURES = 50
HEALTH_MINUTES = verdict.BUSY_MINUTES
METHOD = (
	"Runs and failures: jobs that ended in the window, from RQ's finished and failed registries (a job RQ "
	"retried counts once, with its last outcome). Run time is started to ended and queue wait enqueued to "
	"started, from RQ's own job data, as percentiles of mergeable histograms: exact to a bucket (never "
	"below the true value, at most 19 % above). Utilization: the workers' busy time (RQ's per-worker "
	"total_working_time, sampled, plus the running job's part) over the time they were alive, per queue "
	"they listen to. Workers: RQ's own counters, read now."
)


def spans_for(
	connection: redis.Redis, since_s: float, now_s: float, stored: Iterable[Span] = ()
) -> list[Span]:
	"""The window's spans: the site's stored intervals for the part Redis no longer keeps, then minutes."""
	since_min, now_min = minute_of(since_s), minute_of(now_s)
	floor = now_min - RETAIN_MINUTES + 1
	older = [span for span in stored if span.start >= since_min and span.start < floor]
	first = max(since_min, older[-1].end if older else since_min)
	return older + minutes.read(connection, first, now_min)


def percentiles(histogram: Histogram, name: str) -> dict:
	return {
		f"{name}_p{pct}_s": round(histogram.percentile(pct), 6) if histogram.count else None
		for pct in PERCENTILES
	}


def method_row(method: str, sites: set[str], queues: set[str], cell: MethodCell) -> dict:
	return {
		"method": method,
		"sites": sorted(sites - {""}),
		"queues": sorted(queues),
		"runs": cell.runs,
		"failures": cell.failures,
		"success_rate": round((cell.runs - cell.failures) / cell.runs, 4) if cell.runs else None,
		**percentiles(cell.run, "run"),
		**percentiles(cell.wait, "wait"),
		"run_total_s": round(cell.run.sum_s, 3),
	}


def method_rows(total: JobAggregate, top: int) -> list[dict]:
	"""Per method across its sites and queues, most runs first; past `top`, the rest as one "other" row."""
	merged: dict[str, tuple[MethodCell, set, set]] = {}
	for (site, method, queue), cell in total.methods.items():
		found, sites, queues = merged.setdefault(method, (MethodCell(), set(), set()))
		found.merge(cell)
		sites.add(site)
		queues.add(queue)
	ranked = sorted(merged.items(), key=lambda item: (-item[1][0].runs, item[0]))
	named = [item for item in ranked if item[0] != OTHER]
	shown, rest = named[:top], named[top:] + [item for item in ranked if item[0] == OTHER]
	rows = [method_row(method, sites, queues, cell) for method, (cell, sites, queues) in shown]
	if rest:
		other, sites, queues = MethodCell(), set(), set()
		for _, (cell, listed_sites, listed_queues) in rest:
			other.merge(cell)
			sites |= listed_sites
			queues |= listed_queues
		rows.append(method_row(OTHER, sites, queues, other))
	return rows


def failure_rows(total: JobAggregate) -> list[dict]:
	"""Failure groups across sites, most frequent first, at most MAX_FAILURES, each with what to do where
	known."""
	merged: dict[tuple[str, str, str], tuple[FailureGroup, set]] = {}
	for (site, method, exception, message), group in total.failures.items():
		key = (method, exception, message)
		if key in merged:
			merged[key][0].merge(group)
			merged[key][1].add(site)
		else:
			merged[key] = (FailureGroup(**vars(group)), {site})
	ranked = sorted(merged.items(), key=lambda item: (-item[1][0].count, -item[1][0].last_s))
	return [
		{
			"method": method,
			"sites": sorted(sites - {""}),
			"exception": exception,
			"message": message,
			"count": group.count,
			"first_seen": iso(group.first_s),
			"last_seen": iso(group.last_s),
			"example": group.example,
			"job_id": group.job_id,
			"advice": advice(exception),
		}
		for (method, exception, message), (group, sites) in ranked[:MAX_FAILURES]
	]


def iso(epoch_s: float) -> str:
	return datetime.fromtimestamp(epoch_s, timezone.utc).isoformat()


def queue_waits(total: JobAggregate) -> dict[str, tuple[int, int, Histogram]]:
	"""Per queue: runs, failures and the queue wait histogram of every method on it."""
	found: dict[str, tuple[int, int, Histogram]] = {}
	for (_, _, queue), cell in total.methods.items():
		runs, failures, wait = found.get(queue, (0, 0, Histogram()))
		wait.merge(cell.wait)
		found[queue] = (runs + cell.runs, failures + cell.failures, wait)
	return found


def ratio(busy_s: float, capacity_s: float) -> float | None:
	return round(busy_s / capacity_s, 4) if capacity_s > 0 else None


def live_by_queue(workers: list[utilization.WorkerFigures], queue_names: Mapping[str, str]) -> dict:
	"""Per queue: live workers and how many are busy now."""
	found = {name: [0, 0] for name in queue_names}
	by_rq_name = {rq_name: name for name, rq_name in queue_names.items()}
	for worker in workers:
		if not worker.state.alive:
			continue
		for rq_name in worker.state.queues:
			if rq_name in by_rq_name:
				found[by_rq_name[rq_name]][0] += 1
				found[by_rq_name[rq_name]][1] += worker.state.state == "busy"
	return found


def queue_rows(
	total: JobAggregate,
	queue_names: Mapping[str, str],
	live: dict[str, list[int]],
	window_s: float,
	wait_limit_s: float | None,
) -> list[dict]:
	"""Per queue of the bench: utilization over the window and now, runs, queue wait, and the hint."""
	waits = queue_waits(total)
	rows = []
	for queue in queue_names:
		busy_s, capacity_s = total.usage.get(queue, (0.0, 0.0))
		runs, failures, wait = waits.get(queue, (0, 0, Histogram()))
		workers, busy_now = live.get(queue, (0, 0))
		row = {
			"queue": queue,
			"utilization": ratio(busy_s, capacity_s),
			"busy_s": round(busy_s, 3),
			"available_s": round(capacity_s, 3),
			"utilization_now": round(busy_now / workers, 4) if workers else None,
			"workers": workers,
			"busy_workers": busy_now,
			"runs": runs,
			"failures": failures,
			**percentiles(wait, "wait"),
		}
		over_wait = (
			wait_limit_s is not None and row["wait_p95_s"] is not None and row["wait_p95_s"] > wait_limit_s
		)
		busy = row["utilization"] is not None and row["utilization"] >= verdict.BUSY_RATIO
		row["hint"] = (
			verdict.hint(queue, (busy_s, capacity_s), window_s, workers, row["wait_p95_s"])
			if busy or over_wait
			else ""
		)
		rows.append(row)
	return rows


def timeline(spans: list[Span], queue_names: Iterable[str]) -> dict:
	"""Per queue, the workers' busy share in each span (a minute, or a stored interval), for the chart."""
	return {
		"at": [iso(span.start * MINUTE_S) for span in spans],
		"queues": {queue: [ratio(*span.usage(queue)) for span in spans] for queue in queue_names},
	}


def window_report(
	connection: redis.Redis,
	queue_names: Mapping[str, str],
	since_s: float,
	now_s: float,
	site: str | None = None,
	stored: Iterable[Span] = (),
	wait_limit_s: float | None = verdict.DEFAULT_WAIT_LIMIT_S,
	top: int = MAX_METHODS,
) -> dict:
	"""Job statistics of the window [since, now]: one site's jobs when `site` is given, every queue's
	workers. `queue_names` maps the name people use to the RQ queue name."""
	spans = spans_for(connection, since_s, now_s, stored)
	total = JobAggregate()
	for span in spans:
		total.add_checked(span.stored, site)
	workers = utilization.registered(connection, datetime.fromtimestamp(now_s, timezone.utc))
	live = live_by_queue(workers, queue_names)
	by_rq_name = {rq_name: name for name, rq_name in queue_names.items()}
	return {
		"since": iso(since_s),
		"until": iso(now_s),
		"covered_from": iso(spans[0].start * MINUTE_S) if spans else None,
		"site": site,
		"methods": method_rows(total, top),
		"failures": failure_rows(total),
		"queues": queue_rows(total, queue_names, live, now_s - since_s, wait_limit_s),
		"workers": [w.as_dict(by_rq_name) for w in workers],
		"timeline": timeline(spans, queue_names),
		"wait_limit_s": wait_limit_s,
		"method": METHOD,
	}


def recent(
	connection: redis.Redis, now_s: float, site: str | None = None, window_minutes: int = HEALTH_MINUTES
):
	"""The last `window_minutes` whole minutes and the current one, merged (one site's jobs when given),
	and each whole minute's usage per queue, oldest first."""
	now_min = minute_of(now_s)
	spans = {span.start: span for span in minutes.read(connection, now_min - window_minutes, now_min)}
	total = JobAggregate()
	for span in spans.values():
		total.add_checked(span.stored, site)
	per_minute = [spans.get(m) for m in range(now_min - window_minutes, now_min)]
	return total, per_minute


def health_facts(
	connection: redis.Redis, queue_names: Mapping[str, str], now_s: float, wait_limit_s: float | None
) -> dict:
	"""Each queue judged on its last 15 minutes (every site's jobs: a queue's wait is the bench's)."""
	total, per_minute = recent(connection, now_s)
	waits = queue_waits(total)
	live = live_by_queue(
		utilization.registered(connection, datetime.fromtimestamp(now_s, timezone.utc)), queue_names
	)
	judged = []
	for queue in queue_names:
		usages = [span.usage(queue) if span else (0.0, 0.0) for span in per_minute]
		ratios = [ratio(*usage) for usage in usages]
		usage = (sum(u[0] for u in usages), sum(u[1] for u in usages))
		wait = waits.get(queue, (0, 0, Histogram()))[2]
		judged.append(
			verdict.judge(
				queue,
				ratios,
				usage,
				HEALTH_MINUTES * MINUTE_S,
				live[queue][0],
				wait.percentile(95) if wait.count else None,
				wait_limit_s,
			)
		)
	return {"queues": judged, "wait_limit_s": wait_limit_s, "minutes": HEALTH_MINUTES}


def site_queue_wait(
	connection: redis.Redis, site: str, now_s: float, window_minutes: int
) -> tuple[float, int] | None:
	"""p95 queue wait (s) of one site's jobs that ended in the last `window_minutes`, and how many; None
	when none did."""
	total, _ = recent(connection, now_s, site, window_minutes)
	wait = Histogram()
	for cell in total.methods.values():
		wait.merge(cell.wait)
	return (wait.percentile(95), wait.count) if wait.count else None
