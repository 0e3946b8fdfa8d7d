"""Read how a site's scheduler is doing from its own tables, by SQL, each read bounded.

Measures: whether the scheduler is on (System Settings' `enable_scheduler`, and the
site config's `disable_scheduler`, `pause_scheduler` and `maintenance_mode`), the lag
of the oldest due Scheduled Job Type (how long past its next run it is and still has
not run), and the scheduled jobs that failed in the last day (Scheduled Job Log).
Frappe's System Health Report names the oldest unscheduled job only; this says how late
it is, so a stopped scheduler process shows even while the switch says "on".
"""

import calendar
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import pymysql

# Frappe's "All" frequency runs every `scheduler_interval` seconds (240 by default).
DEFAULT_SCHEDULER_INTERVAL_S = 240
# "... Long" frequencies start up to 10 minutes late on purpose (Frappe adds jitter).
LONG_JITTER_S = 600
FAILURE_WINDOW = timedelta(hours=24)
HOUR = timedelta(hours=1)
# Job types read for lag, oldest last run first: a site has about a hundred.
MAX_JOB_TYPES = 500
# Job logs read for failures, newest first: a busy site writes about 400 an hour.
MAX_JOB_LOGS = 20_000
MAX_FAILING_LISTED = 5
CONF_SWITCHES = ("maintenance_mode", "pause_scheduler", "disable_scheduler")
ENABLE_SQL = "SELECT value FROM `tabSingles` WHERE doctype = 'System Settings' AND field = 'enable_scheduler'"
JOB_TYPES_SQL = """
	SELECT method, frequency, cron_format, last_execution, creation FROM `tabScheduled Job Type`
	WHERE stopped = 0 ORDER BY last_execution LIMIT %s
"""
# `modified` is the column Frappe indexes (and sets on each status change), so this is a
# bounded backward range scan of that index, never a pass over the whole log.
FAILING_SQL = """
	SELECT scheduled_job_type, COUNT(*), SUM(status = 'Failed') FROM (
		SELECT scheduled_job_type, status FROM `tabScheduled Job Log`
		WHERE modified > %s ORDER BY modified DESC LIMIT %s
	) AS recent GROUP BY scheduled_job_type HAVING SUM(status = 'Failed') > 0
	ORDER BY SUM(status = 'Failed') DESC LIMIT %s
"""

NextRun = Callable[[dict], datetime | None]


def next_run(job: dict, scheduler_interval_s: int = DEFAULT_SCHEDULER_INTERVAL_S) -> datetime | None:
	"""When Frappe runs a job type next after its last run, for every fixed frequency (its CRON_MAP),
	at the latest moment its jitter allows; None for a custom cron expression."""
	last = job["last_execution"] or job["creation"]
	frequency = job["frequency"] or ""
	base = frequency.removesuffix(" Long")
	start = last.replace(second=0, microsecond=0)
	if base == "All":
		step = max(1, scheduler_interval_s // 60)
		# Cron's */N restarts at each hour, so a step that does not divide 60 ends at :00.
		run = min(start + timedelta(minutes=step - start.minute % step), start.replace(minute=0) + HOUR)
	elif base == "Hourly":
		run = start.replace(minute=0) + HOUR
	elif base == "Daily":
		run = start.replace(hour=0, minute=0) + timedelta(days=1)
	elif base == "Weekly":
		midnight = start.replace(hour=0, minute=0)
		run = midnight + timedelta(days=(6 - midnight.weekday()) % 7 or 7)
	elif base == "Monthly":
		days = calendar.monthrange(start.year, start.month)[1]
		run = start.replace(day=1, hour=0, minute=0) + timedelta(days=days)
	elif base in ("Yearly", "Annual"):
		run = start.replace(year=start.year + 1, month=1, day=1, hour=0, minute=0)
	else:
		return None
	return run + timedelta(seconds=LONG_JITTER_S if frequency.endswith("Long") else 0)


def disabled_by(enable_scheduler: object, conf: Mapping) -> str | None:
	"""The switch that keeps the scheduler from running, or None when it may run."""
	for switch in CONF_SWITCHES:
		if conf.get(switch):
			return f"{switch} is set in site_config.json"
	if not int(enable_scheduler or 0):
		return "System Settings: Enable Scheduler is off"
	return None


def oldest_due(jobs: list[dict], now: datetime, next_of: NextRun) -> tuple[dict | None, int]:
	"""The due job type that has waited longest past its next run, and how many were skipped (custom cron
	without a reader)."""
	worst, skipped = None, 0
	for job in jobs:
		run = next_of(job)
		if run is None:
			skipped += 1
			continue
		lag = (now - run).total_seconds()
		if lag > 0 and (worst is None or lag > worst["lag_s"]):
			worst = {"job": job["method"], "due_since": run, "lag_s": lag}
	return worst, skipped


def read(
	conn: pymysql.Connection,
	now: datetime,
	conf: Mapping | None = None,
	next_of: NextRun | None = None,
) -> dict:
	"""The scheduler's facts for one site: on or off and why, the oldest due job, failing jobs.

	`now` is the site's wall-clock time; `next_of` computes a job type's next run (the Frappe
	layer passes one that also reads custom cron expressions)."""
	conf = conf or {}
	interval = int(conf.get("scheduler_interval") or DEFAULT_SCHEDULER_INTERVAL_S)
	next_of = next_of or (lambda job: next_run(job, interval))
	with conn.cursor(pymysql.cursors.DictCursor) as cur:
		cur.execute(ENABLE_SQL)
		row = cur.fetchone()
		cur.execute(JOB_TYPES_SQL, (MAX_JOB_TYPES,))
		jobs = list(cur.fetchall())
	with conn.cursor() as cur:
		cur.execute(FAILING_SQL, (now - FAILURE_WINDOW, MAX_JOB_LOGS, MAX_FAILING_LISTED))
		failing = [
			{
				"job": job,
				"runs": int(runs),
				"failures": int(failures),
				"failure_rate": int(failures) / int(runs),
			}
			for job, runs, failures in cur.fetchall()
		]
	due, skipped = oldest_due(jobs, now, next_of)
	return {
		"disabled_by": disabled_by(row and row["value"], conf),
		"oldest_due": due,
		"job_types": len(jobs),
		"unread_cron_jobs": skipped,
		"failing_jobs": failing,
		"failure_window_h": FAILURE_WINDOW.total_seconds() / 3600,
	}
