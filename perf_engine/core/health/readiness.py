"""Whether a site is ready for production: the spec's checklist, one line each, judged from facts.

Lines: a capacity model for the expected load; gunicorn workers against 2 x cores + 1 and
the model; background workers per queue; Redis memory limits and eviction policies (the
cache may evict, the queue must not); indexes on tables above 50,000 rows; caching in
use; requests over 500 ms that should be jobs; pagination (unbounded list queries in the
workload); job monitoring (scheduler on, stall check running); the database pool and
`max_connections` against the model; a passed load test at 2 x peak in the last N days.
Each line is ok, warning or failing with its evidence and the action. The facts are
gathered by `readiness_facts` (the CLI and the site services hand it their connections);
a fact that could not be read is passed as {"error": ..., "service": ...} and fails its own
line only.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from perf_engine.core.health import mariadb_rules
from perf_engine.core.health import rules as health
from perf_engine.core.latency.slow_requests import SLOW_REQUEST_S

OK, WARNING, FAILING = "ok", "warning", "failing"
SEVERITY = {OK: 0, WARNING: 1, FAILING: 2}
BIG_TABLE_ROWS = 50_000
# A path slow this many times in the window is slow by design: it belongs in a background job.
SLOW_REPEATS = 3
CACHE_HIT_RATE_MIN = 0.80
LOAD_TEST_MULTIPLIER = 2.0
# The stall check rides perf_engine's tick; a tick this much older than its interval has stopped.
STALL_TICK_SLACK = timedelta(minutes=10)
EVICTING_ALL_KEYS = ("allkeys-lru", "allkeys-lfu", "allkeys-random")
NO_EVICTION = "noeviction"
LISTED = 5
MB = 1024 * 1024
NO_MODEL = "no Capacity Model to compare with"
MAKE_MODEL = "Create a Capacity Model for the expected peak load."

LABELS = {
	"capacity_model": "Capacity model made for the expected load",
	"gunicorn_workers": "Gunicorn workers sized (2 x cores + 1, the model)",
	"background_workers": "Background workers for every queue",
	"redis_memory": "Redis memory limit and eviction policy",
	"indexes": "Indexes on tables above 50,000 rows",
	"caching": "Caching in use",
	"slow_requests": "Requests over 500 ms moved to background jobs",
	"pagination": "List queries paginated",
	"job_monitoring": "Job monitoring on (scheduler, stall check)",
	"db_connections": "DB pool and max_connections sized for the model",
	"load_test": "Load test passed at 2x peak",
}


def line(name: str, status: str, evidence: str, action: str = "") -> dict:
	return {"line": name, "label": LABELS[name], "status": status, "evidence": evidence, "action": action}


def capacity_model(facts: dict) -> dict:
	model = facts["model"]
	if model is None:
		return line("capacity_model", FAILING, "no Capacity Model on this site", MAKE_MODEL)
	return line(
		"capacity_model",
		OK,
		f"{model['name']}: {model['concurrent_users']:g} users at {model['peak_multiplier']:g}x peak, "
		f"computed {model['computed_at']}",
	)


def gunicorn_workers(facts: dict) -> dict:
	"""Failing when unset or below the model's minimum; a warning past what the cores run or with no model."""
	configured, cores, model = (
		facts["bench_config"].get("gunicorn_workers"),
		facts["cpu_cores"],
		facts["model"],
	)
	ceiling = 2 * cores + 1
	evidence = f"{configured} configured; 2 x {cores} cores + 1 = {ceiling}"
	if model:
		evidence += (
			f"; model minimum {model['gunicorn']['minimum']}, recommended {model['gunicorn']['recommended']}"
		)
	if configured is None:
		return line(
			"gunicorn_workers",
			FAILING,
			"gunicorn_workers not set in common_site_config.json",
			"Set gunicorn_workers (bench config) and regenerate the supervisor config.",
		)
	if model and configured < model["gunicorn"]["minimum"]:
		return line(
			"gunicorn_workers", FAILING, evidence, "Raise gunicorn_workers to the model's recommendation."
		)
	if configured > ceiling:
		return line(
			"gunicorn_workers",
			WARNING,
			evidence,
			"More workers than the cores run: lower them to 2 x cores + 1 or add cores.",
		)
	if not model:
		return line("gunicorn_workers", WARNING, f"{evidence}; {NO_MODEL}", MAKE_MODEL)
	return line("gunicorn_workers", OK, evidence)


def background_workers(facts: dict) -> dict:
	"""Failing when a queue has no live worker; a warning when one has fewer than the model asks."""
	live, model = facts["live_workers"], facts["model"]
	needed = model["background"] if model else {}
	evidence = ", ".join(
		f"{queue}: {count} live" + (f" of {needed[queue]}" if queue in needed else "")
		for queue, count in live.items()
	)
	if idle := [queue for queue, count in live.items() if not count]:
		return line(
			"background_workers",
			FAILING,
			evidence,
			f"Start workers for {', '.join(idle)} (bench worker --queue ..., supervisor).",
		)
	if short := [queue for queue, count in needed.items() if live.get(queue, 0) < count]:
		return line(
			"background_workers", WARNING, evidence, f"Add workers to {', '.join(short)} as the model says."
		)
	if not model:
		return line("background_workers", WARNING, f"{evidence}; {NO_MODEL}", MAKE_MODEL)
	return line("background_workers", OK, evidence)


def redis_memory(facts: dict) -> dict:
	"""The queue Redis must never evict (a job would vanish); the cache needs a limit and an all-keys policy."""
	cache, queue = facts["cache_redis"], facts["queue_redis"]
	evidence = f"cache: {limit_of(cache)}; queue: {limit_of(queue)}"
	if queue["maxmemory_policy"] != NO_EVICTION:
		return line(
			"redis_memory",
			FAILING,
			f"{evidence}: the queue Redis evicts, so queued jobs can be lost",
			"Set maxmemory-policy noeviction on the queue Redis (redis_queue.conf).",
		)
	if not cache["maxmemory"]:
		return line(
			"redis_memory",
			WARNING,
			f"{evidence}: the cache has no limit",
			"Set maxmemory on the cache Redis (redis_cache.conf).",
		)
	if cache["maxmemory_policy"] not in EVICTING_ALL_KEYS:
		return line(
			"redis_memory",
			WARNING,
			f"{evidence}: a full cache refuses writes or keeps keys without a TTL",
			"Set maxmemory-policy allkeys-lru on the cache Redis.",
		)
	return line("redis_memory", OK, evidence)


def limit_of(server: dict) -> str:
	"""'maxmemory 256 MB, allkeys-lru' or 'no maxmemory, noeviction'."""
	limit = f"maxmemory {server['maxmemory'] / MB:g} MB" if server["maxmemory"] else "no maxmemory"
	return f"{limit}, {server['maxmemory_policy']}"


def indexes(facts: dict) -> dict:
	"""Failing when a table above 50k rows has an open HIGH finding; a warning when never analysed."""
	big = facts["big_tables"]
	findings = facts["high_findings"]
	on_big = [f for f in findings if f["table"] in {t["table"] for t in big}]
	evidence = f"{len(big)} table(s) above {BIG_TABLE_ROWS:,} rows"
	if big:
		evidence += ": " + ", ".join(f"{t['table']} ({t['rows']:,})" for t in big[:LISTED])
	if findings:
		evidence += "; open HIGH: " + ", ".join(f"{f['table']} ({f['columns']})" for f in findings[:LISTED])
	if on_big:
		return line("indexes", FAILING, evidence, "Apply or dismiss the HIGH findings in Index Analysis.")
	if findings:
		return line("indexes", WARNING, evidence, "Apply or dismiss the HIGH findings in Index Analysis.")
	if big and not facts["index_analysed"]:
		return line(
			"indexes", WARNING, f"{evidence}; no index analysis yet", "Run an analysis from Index Analysis."
		)
	return line("indexes", OK, evidence)


def caching(facts: dict) -> dict:
	"""The cache Redis serves reads, and most of them hit."""
	rate = facts["cache_redis"]["hit_rate"]
	if rate is None:
		return line(
			"caching",
			FAILING,
			"the cache Redis has served no reads since it started",
			"Check redis_cache in common_site_config.json points at the cache Redis the site uses.",
		)
	evidence = f"cache Redis hit rate {rate:.1%} since it started"
	if rate < CACHE_HIT_RATE_MIN:
		return line(
			"caching",
			WARNING,
			evidence,
			"Cache hot reads (perf_engine.cache.get_cached_doc/list, the warm list) and check maxmemory.",
		)
	return line("caching", OK, evidence)


def slow_requests(facts: dict) -> dict:
	"""Failing when a path is over 500 ms again and again (it is work for a job); a warning for one-offs."""
	found = facts["slow_requests"]
	if not found["monitor_on"]:
		return line(
			"slow_requests",
			WARNING,
			"Frappe's monitor is off: requests are not recorded",
			'Set "monitor": 1 in site_config.json.',
		)
	window = f"since {found['since']}" if found.get("since") else f"in {found['window_min']:g} min"
	if not found["requests"]:
		return line("slow_requests", WARNING, f"no request recorded {window}")
	top = found["slow_paths"]
	evidence = (
		f"{found['slow']} of {found['requests']} request(s) over {SLOW_REQUEST_S * 1000:.0f} ms {window}"
	)
	if top:
		evidence += ": " + ", ".join(
			f"{p['path']} ({p['count']}x, up to {p['max_s']:.1f} s)" for p in top[:LISTED]
		)
	if any(p["count"] >= SLOW_REPEATS for p in top):
		return line(
			"slow_requests",
			FAILING,
			evidence,
			"Move the work of those paths to a background job (frappe.enqueue / perf_engine.jobs.enqueue).",
		)
	if top:
		return line("slow_requests", WARNING, evidence, "Watch these paths; move them to jobs if they recur.")
	return line("slow_requests", OK, evidence)


def pagination(facts: dict) -> dict:
	"""Failing when the workload holds list queries with no LIMIT that read many rows."""
	found = facts["unbounded_queries"]
	if found["source_off"]:
		return line(
			"pagination", WARNING, "no workload source is on: list queries cannot be seen", found["note"]
		)
	statements = found["statements"]
	if statements:
		listed = "; ".join(
			f"{s['sql'][:120]} ({s['rows_per_call']:,.0f} rows a call)" for s in statements[:LISTED]
		)
		return line(
			"pagination",
			FAILING,
			f"{len(statements)} unbounded list quer(ies): {listed}",
			"Add LIMIT (page_length / limit_page_length) to these reads.",
		)
	return line("pagination", OK, f"no unbounded list query in the workload read. {found['note']}")


def job_monitoring(facts: dict) -> dict:
	"""The scheduler must be on and the stall check must have ticked recently."""
	scheduler, stall = facts["scheduler"], facts["stall_check"]
	off = scheduler["disabled_by"]
	if off:
		return line(
			"job_monitoring",
			FAILING,
			f"scheduler off: {off}",
			"Turn the scheduler on (bench --site SITE enable-scheduler).",
		)
	if stall is None or stall["stopped"]:
		return line(
			"job_monitoring",
			FAILING,
			"the stalled-job check is not a running Scheduled Job Type",
			"Run bench migrate so perf_engine's scheduled jobs are installed, and unstop the stall check.",
		)
	limit = timedelta(minutes=stall["interval_minutes"]) + STALL_TICK_SLACK
	last = stall["last_execution"]
	if last is None or facts["now"] - last > limit:
		return line(
			"job_monitoring",
			FAILING,
			f"the stalled-job check last ran {last or 'never'}",
			"Check that the scheduler process runs (bench schedule) and the default queue has workers.",
		)
	due = scheduler["oldest_due"]
	if due and due["lag_s"] >= health.SCHEDULER_LAG_WARNING_S:
		return line(
			"job_monitoring",
			WARNING,
			f"scheduler on; stalled-job check last ran {last}, but {due['job']} is {due['lag_s'] / 60:.0f} min overdue",
			"Check that the scheduler process and the workers keep up.",
		)
	return line("job_monitoring", OK, f"scheduler on; stalled-job check last ran {last}")


def db_connections(facts: dict) -> dict:
	"""max_connections at least the model's pool; a warning past MySQLTuner's 85 % peak use."""
	db, model = facts["mariadb"], facts["model"]
	limit, peak = db["max_connections"], db["max_used_connections"]
	evidence = f"max_connections {limit}, peak use {peak}"
	if model:
		evidence += f"; model pool minimum {model['db_pool']['minimum']}, recommended {model['db_pool']['recommended']}"
	if model and limit < model["db_pool"]["minimum"]:
		return line(
			"db_connections", FAILING, evidence, "Raise max_connections to the model's recommended pool."
		)
	if peak > mariadb_rules.CONNECTIONS_PEAK_MAX * limit:
		return line("db_connections", WARNING, evidence, "Raise max_connections: peak use is near the limit.")
	if model and limit < model["db_pool"]["recommended"]:
		return line(
			"db_connections", WARNING, evidence, "Raise max_connections to the model's recommended pool."
		)
	if not model:
		return line("db_connections", WARNING, f"{evidence}; {NO_MODEL}", MAKE_MODEL)
	return line("db_connections", OK, evidence)


def load_test(facts: dict) -> dict:
	"""A Load Test Run that passed its SLA at 2 x peak or more, started within the last N days."""
	return load_test_line(facts["load_tests"], facts["now"], facts["load_test_days"])


def load_test_line(runs: list[dict] | None, now: datetime, days: int) -> dict:
	"""The rule on run dicts (started_at, peak_multiplier, sla_verdict, capacity_model); None: no DocType."""
	run_it = (
		f"Run `perf-engine load` at {LOAD_TEST_MULTIPLIER:g}x the model's peak against staging and record it."
	)
	if not runs:
		return line("load_test", FAILING, "no load test recorded", run_it)
	since = now - timedelta(days=days)
	passed = [r for r in runs if r["sla_verdict"] == "Pass"]
	at_peak = [r for r in passed if (r["peak_multiplier"] or 0) >= LOAD_TEST_MULTIPLIER]
	recent = [r for r in at_peak if r["started_at"] >= since]
	if recent:
		return line("load_test", OK, describe(recent[0]))
	if at_peak:
		return line("load_test", WARNING, f"{describe(at_peak[0])}: older than {days} days", run_it)
	if below := [r for r in passed if r["started_at"] >= since]:
		return line(
			"load_test", WARNING, f"{describe(below[0])}: below {LOAD_TEST_MULTIPLIER:g}x peak", run_it
		)
	return line(
		"load_test",
		FAILING,
		f"no passed run at {LOAD_TEST_MULTIPLIER:g}x peak; latest: {describe(runs[0])}",
		run_it,
	)


def describe(run: dict) -> str:
	model = f" of {run['capacity_model']}" if run.get("capacity_model") else ""
	return f"{run['name']}: {run['sla_verdict']} at {run['peak_multiplier'] or 0:g}x peak{model}, started {run['started_at']}"


RULES: dict[str, tuple[tuple[str, ...], Callable[[dict], dict]]] = {
	"capacity_model": (("model",), capacity_model),
	"gunicorn_workers": (("bench_config", "cpu_cores", "model"), gunicorn_workers),
	"background_workers": (("live_workers", "model"), background_workers),
	"redis_memory": (("cache_redis", "queue_redis"), redis_memory),
	"indexes": (("big_tables", "high_findings", "index_analysed"), indexes),
	"caching": (("cache_redis",), caching),
	"slow_requests": (("slow_requests",), slow_requests),
	"pagination": (("unbounded_queries",), pagination),
	"job_monitoring": (("scheduler", "stall_check"), job_monitoring),
	"db_connections": (("mariadb", "model"), db_connections),
	"load_test": (("load_tests",), load_test),
}


def assess(facts: dict) -> dict:
	"""Every line judged on its own: one whose facts could not be read fails with the reason, the rest
	still answer; the answer is failing when any line fails."""
	lines = []
	for name, (needs, rule) in RULES.items():
		errors = [f"{need}: {facts[need]['error']}" for need in needs if is_error(facts.get(need))]
		if errors:
			lines.append(line(name, FAILING, f"could not read {'; '.join(errors)}", "See the error log."))
			continue
		try:
			lines.append(rule(facts))
		except Exception as exc:
			lines.append(
				line(name, FAILING, f"rule failed: {type(exc).__name__}: {exc}", "See the error log.")
			)
	return {"status": max((x["status"] for x in lines), key=SEVERITY.get), "lines": lines}


def is_error(fact: object) -> bool:
	"""A fact that could not be read: {"error": why, "service": the service to blame or None}."""
	return isinstance(fact, dict) and set(fact) == {"error", "service"}
