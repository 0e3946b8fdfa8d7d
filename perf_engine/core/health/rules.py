"""What "healthy" means for each subsystem, decided from structured figures alone.

Subsystems: queues and workers, job load (workers busy and queue wait over 15 minutes), stalled
jobs, Redis memory, indexes, thresholds, the capacity verdict, the scheduler, MariaDB and the site's
database (the last four as a list of checks, each with its value and limit in one unit, threshold,
verdict and action; MariaDB's checks live in `mariadb_rules.py`, with MySQLTuner's limits), and
perf_engine itself (`footprint_rules.py`: what its own jobs, rows, keys and connections cost). Each is judged on
its own (a part whose figures are missing, or whose rule fails, is unknown with the
reason; the rest still answers). The API, the CLI, the metrics and the snapshots all call
`assess`, so they give the same answer.
"""

from collections.abc import Callable

from perf_engine.core.capacity import bench_comparison
from perf_engine.core.checks import run_check
from perf_engine.core.health.footprint_rules import footprint
from perf_engine.core.health.mariadb_rules import mariadb
from perf_engine.core.health.verdicts import (
	CRITICAL,
	OK,
	SEVERITY,
	UNKNOWN,
	WARNING,
	check,
	from_checks,
	part,
)
from perf_engine.core.jobs.advice import ADD, NO_WORKER, advise_all
from perf_engine.core.jobstats.verdict import BUSY_RATIO
from perf_engine.core.latency.thresholds import CRITICAL_FACTOR
from perf_engine.core.settings import DOCTYPE, Settings

SUBSYSTEMS = (
	"queues",
	"jobs",
	"stalls",
	"redis",
	"indexes",
	"thresholds",
	"capacity",
	"scheduler",
	"mariadb",
	"database",
	"footprint",
)
# Which figure each subsystem is judged from, and what to do when that figure is missing.
SOURCES = {
	"queues": "queues",
	"redis": "redis",
	"scheduler": "scheduler",
	"mariadb": "mariadb",
	"jobs": "job_load",
	"database": "database",
	"footprint": "footprint",
} | dict.fromkeys(("stalls", "indexes", "thresholds", "capacity"), "counts")
MISSING_ACTION = {
	"queues": "Check that Redis is running.",
	"redis": "Check that Redis is running.",
	"mariadb": "Check that MariaDB is running.",
	"jobs": "Check that Redis is running.",
	"database": "Check that MariaDB is running.",
	"footprint": "Check that Redis and MariaDB are running.",
}
OPEN_THRESHOLD_VIOLATIONS = "Open Threshold Violation to see which operations."
UNMEASURED_ACTION = (
	"Perf Engine Settings' last threshold check names the switch for each (monitor: 1 in site_config, "
	"the slow query log or performance_schema)."
)

# The scheduler: Frappe's health report calls a job type 30 ticks (30 minutes) late unscheduled.
SCHEDULER_LAG_WARNING_S = 15 * 60
SCHEDULER_LAG_CRITICAL_S = 60 * 60
# A job type failing this many runs in a row within the window is broken, not flaky.
ALWAYS_FAILING_RUNS = 3
# The site's database now: a lock wait this old makes users wait visibly; InnoDB gives up at
# innodb_lock_wait_timeout (50 s by default), so a wait near it is critical.
LOCK_WAIT_WARNING_S = 5
LOCK_WAIT_CRITICAL_S = 30


def queues(rows: list[dict], settings: Settings) -> dict:
	advice = advise_all(rows, settings.advice_limits)
	if stuck := [a for a in advice if a["advice"] == NO_WORKER]:
		return part(
			CRITICAL, stuck[0]["reason"], "Start workers for the queues named (bench worker / supervisor)."
		)
	if behind := [a for a in advice if a["advice"] == ADD]:
		return part(WARNING, f"{behind[0]['queue']}: {behind[0]['reason']}", "Add workers to that queue.")
	return part(OK, f"{sum(r['queued'] for r in rows)} job(s) queued, every queue keeping up")


def stalls(counts: dict, settings: Settings) -> dict:
	"""Critical when any open stall calls for stopping or requeueing, warning when all only warn."""
	by_action = counts["open_stalls_by_action"]
	total = sum(by_action.values())
	if not total:
		return part(OK, "no stalled jobs")
	status = CRITICAL if any(n for action, n in by_action.items() if action != "warn") else WARNING
	return part(status, f"{total} open stalled job(s)", "Open Queue Status and stop or requeue them.")


def redis(status: dict, settings: Settings) -> dict:
	options = settings.cleanup_options
	pressure = status["pressure"]
	if pressure is None:
		return part(
			WARNING,
			"no maxmemory and no budget: Redis may grow until the host runs out",
			f"Set maxmemory or a memory budget in {DOCTYPE}.",
		)
	text = f"{pressure * 100:.1f} % of the limit used"
	if pressure >= options["threshold"]:
		return part(CRITICAL, text, "Run the Redis cleanup or raise maxmemory.")
	if pressure >= options["target"]:
		return part(WARNING, text, "Watch it; cleanup starts at the threshold.")
	return part(OK, text)


def indexes(counts: dict, settings: Settings) -> dict:
	if not counts["index_analysed"]:
		return part(WARNING, "no index analysis yet", "Run an analysis from Index Analysis.")
	if high := counts["open_index_findings"].get("HIGH", 0):
		return part(WARNING, f"{high} open HIGH index finding(s)", "Apply or dismiss them in Index Analysis.")
	return part(OK, "no open HIGH findings")


def thresholds(counts: dict, settings: Settings) -> dict:
	violations = counts["violations_24h"]
	if critical := violations.get("CRITICAL"):
		return part(CRITICAL, f"{critical} critical violation(s) in 24 h", OPEN_THRESHOLD_VIOLATIONS)
	if warning := violations.get("WARNING"):
		return part(WARNING, f"{warning} violation(s) in 24 h", OPEN_THRESHOLD_VIOLATIONS)
	if counts["thresholds_unmeasured"]:
		return part(
			WARNING,
			f"{counts['thresholds_unmeasured']} threshold(s) could not be measured",
			UNMEASURED_ACTION,
		)
	return part(OK, "no violations in 24 h")


def capacity(counts: dict, settings: Settings) -> dict:
	"""From the latest Capacity Model's comparison rows: any under-provisioned resource is critical."""
	latest = counts["latest_capacity"]
	if not latest:
		return part(WARNING, "no capacity model yet", "Create a Capacity Model for your expected load.")
	rows = latest["rows"]
	reason = f"{latest['name']}: {bench_comparison.summary(rows)}"
	off = bench_comparison.off_target(rows or [])
	if bench_comparison.UNDER in off:
		return part(CRITICAL, reason, "Add the workers or connections the model recommends.")
	if rows is None or off:
		return part(WARNING, reason, "Review the Capacity Model.")
	return part(OK, reason)


def scheduler(facts: dict, settings: Settings) -> dict:
	"""On or off, how late the oldest due job is, which scheduled jobs failed in the window."""
	off = facts["disabled_by"]
	checks = [
		check(
			"enabled",
			CRITICAL if off else OK,
			not off,
			"on",
			f"scheduler off: {off}" if off else "scheduler on",
			"Turn it on (bench --site SITE enable-scheduler) or unset the switch named." if off else "",
			unit=None,
			limit=True,
		)
	]
	due = facts["oldest_due"]
	lag = due["lag_s"] if due else 0
	status = (
		CRITICAL if lag >= SCHEDULER_LAG_CRITICAL_S else WARNING if lag >= SCHEDULER_LAG_WARNING_S else OK
	)
	checks.append(
		check(
			"oldest_due_lag_s",
			status,
			round(lag),
			f"warning from {SCHEDULER_LAG_WARNING_S} s ({SCHEDULER_LAG_WARNING_S // 60} min), "
			f"critical from {SCHEDULER_LAG_CRITICAL_S} s ({SCHEDULER_LAG_CRITICAL_S // 60} min)",
			f"{due['job']} due {lag / 60:.0f} min ago and not run" if due else "no scheduled job overdue",
			""
			if status == OK
			else "Check that the scheduler process runs (bench schedule) and workers take its jobs.",
			unit="s",
			limit=SCHEDULER_LAG_WARNING_S,
		)
	)
	failing = facts["failing_jobs"]
	broken = [j for j in failing if j["runs"] >= ALWAYS_FAILING_RUNS and j["failures"] == j["runs"]]
	names = ", ".join(f"{j['job']} ({j['failures']}/{j['runs']})" for j in failing)
	checks.append(
		check(
			"failing_jobs",
			CRITICAL if broken else WARNING if failing else OK,
			len(failing),
			f"0 jobs with a failed run in {facts['failure_window_h']:g} h; critical when every run of a job fails",
			f"failed scheduled jobs: {names}"
			if failing
			else f"no failed scheduled job in {facts['failure_window_h']:g} h",
			"Open Scheduled Job Log filtered on Failed and fix the job's error." if failing else "",
			unit="jobs",
			limit=0,
		)
	)
	return from_checks(checks)


def jobs(facts: dict, settings: Settings) -> dict:
	"""Per queue, from its last 15 minutes of job statistics (`core.jobstats.verdict`): workers busy past
	80 % throughout, or the p95 queue wait past `job_queue_wait`; the action is the capacity hint."""
	limit = facts["wait_limit_s"]
	threshold = f"busy under {BUSY_RATIO:.0%} in some minute of {facts['minutes']}; p95 wait " + (
		f"at most {limit:g} s (job_queue_wait), critical past {limit * CRITICAL_FACTOR:g} s"
		if limit is not None
		else "not judged (job_queue_wait disabled)"
	)
	return from_checks(
		[
			check(
				q["queue"],
				q["status"],
				q["wait_p95_s"],
				threshold,
				q["reason"],
				q["action"],
				unit="s",
				limit=limit,
			)
			for q in facts["queues"]
		]
		or [check("queues", OK, None, threshold, "no queue", unit="s", limit=limit)]
	)


def database(facts: dict, settings: Settings) -> dict:
	"""The site's statements over the threshold, its lock waits by age, its deadlocks in the last hour."""
	slow, threshold = facts["long_queries"], facts["threshold_s"]
	checks = [
		check(
			"long_queries",
			WARNING if slow else OK,
			slow,
			f"no statement running {threshold:g} s or longer",
			f"{slow} statement(s) running {threshold:g} s or longer, the longest {facts['longest_query_s']:.0f} s"
			if slow
			else f"no statement running {threshold:g} s or longer",
			"Open Running Queries: see what runs and what blocks it." if slow else "",
			unit="statements",
			limit=0,
		)
	]
	waits, longest = facts["lock_waits"], facts["longest_lock_wait_s"]
	status = (
		CRITICAL if longest >= LOCK_WAIT_CRITICAL_S else WARNING if longest >= LOCK_WAIT_WARNING_S else OK
	)
	checks.append(
		check(
			"lock_waits",
			status,
			longest,
			f"warning from a {LOCK_WAIT_WARNING_S} s wait, critical from {LOCK_WAIT_CRITICAL_S} s",
			f"{waits} lock wait(s), the longest {longest} s" if waits else "no lock waits",
			""
			if status == OK
			else "Open Running Queries: its blocking chains name the session holding the locks.",
			unit="s",
			limit=LOCK_WAIT_WARNING_S,
		)
	)
	deadlocks = facts["deadlocks_last_hour"]
	if deadlocks is not None:
		checks.append(
			check(
				"deadlocks_last_hour",
				WARNING if deadlocks else OK,
				deadlocks,
				"no deadlock in the last hour",
				f"{deadlocks} deadlock(s) in the last hour" if deadlocks else "no deadlock in the last hour",
				"Open the Deadlock list: both statements, the table and index each locked."
				if deadlocks
				else "",
				unit="deadlocks",
				limit=0,
			)
		)
	return from_checks(checks)


RULES: dict[str, Callable[[dict, Settings], dict]] = {
	"queues": queues,
	"jobs": jobs,
	"stalls": stalls,
	"redis": redis,
	"indexes": indexes,
	"thresholds": thresholds,
	"capacity": capacity,
	"scheduler": scheduler,
	"mariadb": mariadb,
	"database": database,
	"footprint": footprint,
}


def assess(figures: dict, settings: Settings) -> dict:
	"""Every subsystem with its status, reason and action, and the worst status overall."""
	subsystems = {}
	for name, rule in RULES.items():
		source = SOURCES[name]
		if figures.get(source) is None:
			error = figures.get("errors", {}).get(source, "not available")
			subsystems[name] = part(UNKNOWN, error, MISSING_ACTION.get(name, "See the error log."))
			continue
		result = run_check(name, lambda: rule(figures[source], settings))
		subsystems[name] = result.data if result.ok else part(UNKNOWN, result.error, "See the error log.")
	return {"status": overall(subsystems), "subsystems": subsystems}


def overall(subsystems: dict) -> str:
	return max((s["status"] for s in subsystems.values()), key=SEVERITY.get)
