"""perf_engine's own background footprint on a real bench (issue 23): its jobs, worker seconds and
Scheduled Job Log rows per site per hour, beside Frappe's own scheduled jobs in the same run.

Precondition: a bench with N sites that have perf_engine installed; this script creates no bench and no
site. It refuses to measure when Frappe's scheduler would skip a given site (dormant: no Activity Log in
its `dormant_days`; a Scheduled Job Type whose last run is in the future, as when a site's time zone
changed after its job types were made; maintenance mode or a disabled scheduler in its config) or when a
scheduler or worker already runs on the bench. Jobs left queued from before are not counted, but would
take the worker's time: start with empty queues.

For `--minutes` the script runs, as the bench's owner, `bench schedule` and one `bench worker` for every
queue, with the scheduler enabled on exactly the given sites (disabled on the bench's other sites; every
site's previous state is restored at the end, on Ctrl-C, SIGTERM or an error too). Frappe's scheduler
makes its first pass a minute after it starts. Every 15 s the script reads the finished and failed
registries of the bench's queues and each new job's hash: Frappe keeps a finished job 10 minutes and a
scheduled job's id is reused by its next run, which comes a minute later at the soonest, so each run is
seen and is kept once, by id and start. A job counts when it was enqueued and ended inside the window;
its worker seconds are its `ended_at - started_at`. At the end it counts the Scheduled Job Log rows the
given sites wrote in the window (MariaDB as root) and checks them against the runs counted, drops the
jobs the run enqueued that the worker never reached, and counts perf_engine's bench-wide promotion
passes: jobs of `promote_due_jobs` (the per-minute hooks) plus what the
`perf_engine:self:bench_passes:<hour>` counters gained (the ledger, where the code has one). Figures are
what ran, not what the hooks declare: a 10-minute window holds 2 or 3 of a site's "All" ticks.

	python benchmarks/bench_footprint.py --bench /home/frappe/bench-footprint \\
		--sites fp01.localhost,fp02.localhost --minutes 10 --label after --json after-2.json \\
		--bench-cli /home/frappe/.bench-venv/bin/bench

Through `python -m benchmarks.run` it runs only when $PERF_ENGINE_FOOTPRINT_BENCH and
$PERF_ENGINE_FOOTPRINT_SITES name such a bench and its sites (10 minutes; 2 with --quick), with the
bench command from $PERF_ENGINE_FOOTPRINT_BENCH_CLI or the PATH.
"""

import argparse
import contextlib
import io
import json
import os
import pickle
import pwd
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zlib
from base64 import b64decode
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pymysql
import redis

SAMPLE_S = 15
STOP_WAIT_S = 60
EXECUTE_JOB = "frappe.utils.background_jobs.execute_job"
RUN_SCHEDULED_JOB = "frappe.core.doctype.scheduled_job_type.scheduled_job_type.run_scheduled_job"
PERF_ENGINE = "perf_engine."
PROMOTE_DUE_JOBS = "perf_engine.tasks.jobs.promote_due_jobs"
BENCH_PASSES = "perf_engine:self:bench_passes:{0}"
CONTINUOUS = "All"
FRAPPE_DEFAULT_TIME_ZONE = "Asia/Kolkata"
REGISTRIES = ("finished", "failed")
RQ_TIME = ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ")
PROBLEM = re.compile(r"Traceback|Error|Exception|failed|Failed")
SAFE_MODULES = ("builtins", "datetime", "collections", "copyreg", "decimal", "uuid")


@dataclass
class Bench:
	path: Path
	owner: str
	cli: str
	queue_url: str
	db_host: str
	db_port: int
	db_root_user: str
	db_root_password: str

	def site_config(self, site: str) -> dict:
		return json.loads((self.path / "sites" / site / "site_config.json").read_text())

	def sites(self) -> list[str]:
		"""The sites Frappe's scheduler walks: every folder of sites/ with a site_config.json."""
		return sorted(p.parent.name for p in (self.path / "sites").glob("*/site_config.json"))


@dataclass
class JobRun:
	id: str
	registry: str
	queue: str
	site: str | None
	method: str
	enqueued: float | None
	started: float | None
	ended: float | None
	error: str | None = None

	@property
	def worker_s(self) -> float:
		return (self.ended - self.started) if self.ended and self.started else 0.0


@dataclass
class SiteFacts:
	"""What the run reads from one site's database: its job types and the window's log rows."""

	frequencies: dict[str, str]
	log_rows: Counter = field(default_factory=Counter)
	failed_logs: list[dict] = field(default_factory=list)
	error_logs: list[str] = field(default_factory=list)


def load_bench(path: Path, cli: str, db_root_user: str, db_root_password: str) -> Bench:
	"""The bench's queue Redis and database server, from its common_site_config.json."""
	common = json.loads((path / "sites" / "common_site_config.json").read_text())
	return Bench(
		path=path,
		owner=path.owner(),
		cli=cli,
		queue_url=common["redis_queue"],
		db_host=common.get("db_host") or "127.0.0.1",
		db_port=int(common.get("db_port") or 3306),
		db_root_user=db_root_user,
		db_root_password=db_root_password,
	)


def as_owner(bench: Bench) -> dict:
	"""Popen arguments that run a command as the bench's owner: bench refuses root, and the files it
	writes (logs) must stay the owner's. No runuser between: it would SIGKILL a worker still finishing."""
	if os.geteuid() != 0 or bench.owner == "root":
		return {}
	user = pwd.getpwnam(bench.owner)
	env = {**os.environ, "HOME": user.pw_dir, "USER": bench.owner, "LOGNAME": bench.owner}
	return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": [], "env": env}


def bench_cli(bench: Bench, *args: str) -> str:
	"""One `bench` command in the bench's folder, as its owner; its output, or an error saying which."""
	command = [bench.cli, *args]
	done = subprocess.run(
		command, cwd=bench.path, capture_output=True, text=True, check=False, **as_owner(bench)
	)
	if done.returncode:
		raise RuntimeError(f"{shlex.join(command)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
	return done.stdout


@contextlib.contextmanager
def site_db(bench: Bench, site: str) -> Iterator[pymysql.connections.Connection]:
	"""The site's database as MariaDB root, so reading never depends on the site's own user."""
	conn = pymysql.connect(
		host=bench.db_host,
		port=bench.db_port,
		user=bench.db_root_user,
		password=bench.db_root_password,
		database=bench.site_config(site)["db_name"],
		autocommit=True,
	)
	try:
		yield conn
	finally:
		conn.close()


def query(conn: pymysql.connections.Connection, sql: str, params: tuple = ()) -> list[tuple]:
	with conn.cursor() as cursor:
		cursor.execute(sql, params)
		return list(cursor.fetchall())


def system_setting(conn: pymysql.connections.Connection, name: str) -> str | None:
	rows = query(conn, "select value from tabSingles where doctype='System Settings' and field=%s", (name,))
	return rows[0][0] if rows else None


def scheduler_state(bench: Bench, site: str) -> dict:
	"""Whether Frappe's scheduler would run the site: its System Settings flag and its config's pause."""
	with site_db(bench, site) as conn:
		enabled = bool(int(system_setting(conn, "enable_scheduler") or 0))
	return {"enabled": enabled, "pause_scheduler": bench.site_config(site).get("pause_scheduler")}


def refusals(bench: Bench, sites: list[str]) -> list[str]:
	"""Why the run would not measure what it says: a site Frappe's scheduler would skip, or busy bench."""
	problems = []
	common = json.loads((bench.path / "sites" / "common_site_config.json").read_text())
	for key in ("pause_scheduler", "maintenance_mode", "disable_scheduler"):
		if common.get(key):
			problems.append(f"common_site_config.json sets {key}")
	known = set(bench.sites())
	for site in sites:
		if site not in known:
			problems.append(f"{site} is not a site of {bench.path}")
			continue
		config = {**common, **bench.site_config(site)}
		for key in ("maintenance_mode", "disable_scheduler"):
			if config.get(key):
				problems.append(f"{site}: site_config.json sets {key}")
		if not config.get("developer_mode") and is_dormant(bench, site):
			problems.append(f"{site} is dormant (no Activity Log in its dormant_days): Frappe skips it")
		if ahead := job_types_ahead(bench, site):
			problems.append(
				f"{site}: {ahead} Scheduled Job Types last ran in the future (time zone changed?)"
			)
	problems += [f"already running on this bench: {c}" for c in bench_processes(bench)]
	client = redis.Redis.from_url(bench.queue_url)
	live = [w.decode() for w in client.smembers("rq:workers") if client.exists(w)]
	problems += [f"a worker is registered on the queue Redis: {w}" for w in live]
	return problems


def is_dormant(bench: Bench, site: str) -> bool:
	"""Frappe's own test (frappe.utils.scheduler.is_dormant), read from the database."""
	with site_db(bench, site) as conn:
		last = query(conn, "select max(modified) from `tabActivity Log`")[0][0]
		days = int(system_setting(conn, "dormant_days") or 4)
		now = datetime.now(site_zone(conn)).replace(tzinfo=None)
	return last is None or (now - last).total_seconds() >= days * 86400


def job_types_ahead(bench: Bench, site: str) -> int:
	"""Job types whose last run (or creation) is after the site's now: Frappe waits until then to run them,
	as on a site created in India's default zone before its setup set another."""
	with site_db(bench, site) as conn:
		now = datetime.now(site_zone(conn)).replace(tzinfo=None)
		sql = "select count(*) from `tabScheduled Job Type` where coalesce(last_execution, creation) > %s"
		return query(conn, sql, (now,))[0][0]


def site_zone(conn: pymysql.connections.Connection) -> ZoneInfo:
	"""Frappe writes `creation` in the site's time zone, India's when none is set."""
	return ZoneInfo(system_setting(conn, "time_zone") or FRAPPE_DEFAULT_TIME_ZONE)


def bench_processes(bench: Bench) -> list[str]:
	"""Frappe schedulers and workers already running from this bench (their cwd is inside it)."""
	found = []
	for proc in Path("/proc").glob("[0-9]*"):
		with contextlib.suppress(OSError):
			argv = (proc / "cmdline").read_bytes().split(b"\0")
			words = [a.decode(errors="replace") for a in argv if a]
			if "frappe.utils.bench_helper" not in words or not {"schedule", "worker"} & set(words):
				continue
			if Path(os.readlink(proc / "cwd")).is_relative_to(bench.path):
				found.append(f"pid {proc.name}: {' '.join(words)}")
	return found


def set_schedulers(
	bench: Bench, wanted: dict[str, bool], before: dict[str, dict], changed: list[str]
) -> None:
	"""Enable the scheduler on the sites wanted on and disable it on the others, noting each site changed."""
	for site, on in wanted.items():
		state = before[site]
		if state["enabled"] != on:
			changed.append(site)
			bench_cli(bench, "--site", site, "enable-scheduler" if on else "disable-scheduler")
		if on and state["pause_scheduler"]:
			changed.append(site)
			bench_cli(bench, "--site", site, "set-config", "-p", "pause_scheduler", "0")


def restore_schedulers(bench: Bench, before: dict[str, dict], sites: list[str]) -> None:
	"""Put each site's scheduler flag and pause back as they were before the run."""
	for site in dict.fromkeys(sites):
		state = before[site]
		bench_cli(bench, "--site", site, "enable-scheduler" if state["enabled"] else "disable-scheduler")
		if state["pause_scheduler"]:
			value = json.dumps(state["pause_scheduler"])
			bench_cli(bench, "--site", site, "set-config", "-p", "pause_scheduler", value)


def start(bench: Bench, log: Path, *args: str) -> subprocess.Popen:
	"""A long-running bench process in a process group of its own, so stopping it stops its children."""
	with log.open("ab") as out:
		return subprocess.Popen(
			[bench.cli, *args],
			cwd=bench.path,
			stdout=out,
			stderr=subprocess.STDOUT,
			stdin=subprocess.DEVNULL,
			start_new_session=True,
			**as_owner(bench),
		)


def stop(process: subprocess.Popen) -> None:
	"""SIGTERM to the group (RQ's warm shutdown lets a running job end), SIGKILL if it lingers."""
	with contextlib.suppress(ProcessLookupError):
		os.killpg(process.pid, signal.SIGTERM)
	try:
		process.wait(STOP_WAIT_S)
	except subprocess.TimeoutExpired:
		with contextlib.suppress(ProcessLookupError):
			os.killpg(process.pid, signal.SIGKILL)
		process.wait()


class NamesOnly(pickle.Unpickler):
	"""Reads a job's pickled call without importing Frappe: anything not plain data becomes a named stub."""

	def find_class(self, module: str, name: str) -> object:
		if module in SAFE_MODULES:
			return super().find_class(module, name)
		return type(name, (dict,), {"__module__": module, "__qualname__": name, "__setstate__": no_state})


def no_state(self: dict, state: object) -> None:
	"""A stub keeps no object state; a dict's items still arrive."""


def name_of(value: object) -> str:
	"""A method given as a dotted path or as a function (a stub named after it)."""
	if isinstance(value, str):
		return value
	return f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', repr(value))}"


def job_target(data: bytes) -> tuple[str | None, str]:
	"""The site and the real method of a job: Frappe's scheduled jobs name theirs in `job_type`."""
	func_name, _instance, _args, kwargs = NamesOnly(io.BytesIO(zlib.decompress(data))).load()
	if func_name != EXECUTE_JOB:
		return kwargs.get("site"), func_name
	method = name_of(kwargs.get("method"))
	if method == RUN_SCHEDULED_JOB:
		method = (kwargs.get("kwargs") or {}).get("job_type") or method
	return kwargs.get("site"), method


def rq_time(value: bytes | None) -> float | None:
	if not value:
		return None
	for fmt in RQ_TIME:
		with contextlib.suppress(ValueError):
			return datetime.strptime(value.decode(), fmt).replace(tzinfo=UTC).timestamp()
	return None


class Sampler:
	"""Every job run the bench's finished and failed registries show, once each (id and start)."""

	def __init__(self, client: redis.Redis, since: float):
		self.client = client
		self.since = since
		self.runs: dict[tuple[str, float | None], JobRun] = {}
		self.seen: dict[tuple[str, bytes], float] = {}
		self.samples = 0
		self.load: list[float] = []

	def sample(self) -> None:
		"""Read each registry entry still alive at the window's start; fetch only entries not seen as-is."""
		self.samples += 1
		self.load.append(os.getloadavg()[0])
		for queue in bench_queues(self.client):
			for registry in REGISTRIES:
				key = f"rq:{registry}:{queue}"
				entries = self.client.zrangebyscore(key, self.since, "+inf", withscores=True)
				new = [(job_id, score) for job_id, score in entries if self.seen.get((key, job_id)) != score]
				if new:
					self.read_jobs(key, registry, queue, new)

	def read_jobs(self, key: str, registry: str, queue: str, entries: list[tuple[bytes, float]]) -> None:
		fields = ("status", "enqueued_at", "started_at", "ended_at", "data", "exc_info")
		with self.client.pipeline(transaction=False) as pipe:
			for job_id, _score in entries:
				pipe.hmget(b"rq:job:" + job_id, fields)
			hashes = pipe.execute()
		for (job_id, score), (status, enqueued, started, ended, data, exc_info) in zip(
			entries, hashes, strict=True
		):
			if status not in (b"finished", b"failed") or not data:
				continue  # gone, or already queued again for its next run: read after that run
			self.seen[(key, job_id)] = score
			site, method = job_target(data)
			run = JobRun(
				id=job_id.decode(),
				registry=registry,
				queue=queue,
				site=site,
				method=method,
				enqueued=rq_time(enqueued),
				started=rq_time(started),
				ended=rq_time(ended),
			)
			if status == b"failed":
				run.error = self.error_of(job_id, exc_info)
			self.runs.setdefault((run.id, run.started), run)

	def error_of(self, job_id: bytes, exc_info: bytes | None) -> str:
		"""A failed job's traceback: RQ 1.15 keeps it in the job's result stream, older RQ in the hash."""
		if exc_info:
			return zlib.decompress(exc_info).decode(errors="replace")
		latest = self.client.xrevrange(b"rq:results:" + job_id, "+", "-", count=1)
		if latest and latest[0][1].get(b"exc_string"):
			return zlib.decompress(b64decode(latest[0][1][b"exc_string"])).decode(errors="replace")
		return "(no traceback stored)"


def bench_queues(client: redis.Redis) -> list[str]:
	"""Every RQ queue in the bench's queue Redis (Frappe names them `<bench id>:<queue>`)."""
	return sorted(q.decode().removeprefix("rq:queue:") for q in client.smembers("rq:queues"))


def queued_jobs(client: redis.Redis, queues: list[str]) -> dict[str, list[bytes]]:
	return {q: client.lrange(f"rq:queue:{q}", 0, -1) for q in queues}


def drop_unrun(client: redis.Redis, queues: list[str], since: float) -> int:
	"""Jobs this run's scheduler enqueued that its worker never reached: left, they would run in the next."""
	dropped = 0
	for queue, ids in queued_jobs(client, queues).items():
		for job_id in ids:
			enqueued = rq_time(client.hget(b"rq:job:" + job_id, "enqueued_at"))
			if enqueued is not None and enqueued >= since:
				client.lrem(f"rq:queue:{queue}", 0, job_id)
				client.delete(b"rq:job:" + job_id)
				dropped += 1
	return dropped


def bench_passes(client: redis.Redis, start: float, end: float) -> dict[int, int]:
	"""The ledger's bench-wide pass counters for each hour the window touches (absent: 0)."""
	hours = list(range(int(start // 3600), int(end // 3600) + 1))
	values = client.mget([BENCH_PASSES.format(hour) for hour in hours])
	return {hour: int(value or 0) for hour, value in zip(hours, values, strict=True)}


def site_facts(bench: Bench, site: str, start: float, end: float) -> SiteFacts:
	"""The site's job types and the Scheduled Job Log and Error Log rows it wrote in the window."""
	with site_db(bench, site) as conn:
		zone = site_zone(conn)
		since, until = (datetime.fromtimestamp(t, zone).replace(tzinfo=None) for t in (start, end))
		facts = SiteFacts(
			frequencies=dict(query(conn, "select method, frequency from `tabScheduled Job Type`")),
		)
		rows = query(
			conn,
			"select t.method, l.status, l.details from `tabScheduled Job Log` l "
			"left join `tabScheduled Job Type` t on t.name = l.scheduled_job_type "
			"where l.creation >= %s and l.creation < %s",
			(since, until),
		)
		for method, status, details in rows:
			facts.log_rows[method or "(deleted job type)"] += 1
			if status == "Failed":
				facts.failed_logs.append({"site": site, "method": method, "error": last_line(details)})
		facts.error_logs = [
			f"{site}: {title}: {last_line(error)}"
			for title, error in query(
				conn,
				"select method, error from `tabError Log` where creation >= %s and creation < %s",
				(since, until),
			)
		]
	return facts


def log_problems(log: Path) -> list[str]:
	"""Tracebacks and errors the worker printed: an "All" job's failure writes no Scheduled Job Log row,
	and Frappe's scheduled jobs catch their own errors, so RQ shows them as finished."""
	lines = log.read_text(errors="replace").splitlines() if log.exists() else []
	return [line[:300] for line in lines if PROBLEM.search(line)]


def last_line(text: str | None) -> str:
	lines = [line for line in (text or "").strip().splitlines() if line.strip()]
	return lines[-1].strip()[:300] if lines else ""


def measure(bench: Bench, sites: list[str], minutes: float, label: str, log_dir: Path) -> dict:
	"""One run: the schedulers set, the bench's scheduler and worker run `minutes`, everything put back."""
	problems = refusals(bench, sites)
	if problems:
		raise SystemExit("not measuring:\n  " + "\n  ".join(problems))
	client = redis.Redis.from_url(bench.queue_url)
	all_sites = bench.sites()
	before = {site: scheduler_state(bench, site) for site in all_sites}
	processes: list[subprocess.Popen] = []
	changed: list[str] = []
	try:
		set_schedulers(bench, {s: s in sites for s in all_sites}, before, changed)
		queued_at_start = sum(len(ids) for ids in queued_jobs(client, bench_queues(client)).values())
		start_s = time.time()
		passes_at_start = bench_passes(client, start_s, start_s + minutes * 60)
		sampler = Sampler(client, start_s)
		processes.append(start(bench, log_dir / "schedule.log", "schedule"))
		processes.append(start(bench, log_dir / "worker.log", "worker", "--queue", "short,default,long"))
		end_s = start_s + minutes * 60
		while (now := time.time()) < end_s:
			sampler.sample()
			time.sleep(min(SAMPLE_S, end_s - now))
		passes_at_end = bench_passes(client, start_s, end_s)
		for process in processes:
			stop(process)
		processes.clear()
		sampler.sample()
		dropped = drop_unrun(client, bench_queues(client), start_s)
	finally:
		for process in processes:
			stop(process)
		restore_schedulers(bench, before, changed)
	facts = {site: site_facts(bench, site, start_s, end_s) for site in sites}
	counter_gain = sum(passes_at_end.values()) - sum(passes_at_start.values())
	return report(
		label,
		sites,
		minutes,
		(start_s, end_s),
		sampler,
		facts,
		counter_gain,
		{
			"queued_at_start": queued_at_start,
			"dropped_unrun": dropped,
			"worker_log_problems": log_problems(log_dir / "worker.log"),
			"log_dir": str(log_dir),
		},
	)


def report(
	label: str,
	sites: list[str],
	minutes: float,
	window: tuple[float, float],
	sampler: Sampler,
	facts: dict[str, SiteFacts],
	counter_gain: int,
	extra: dict,
) -> dict:
	"""Per site per hour figures averaged over the sites, bench-wide passes, and every method seen."""
	start_s, end_s = window
	inside = [r for r in sampler.runs.values() if in_window(r, start_s, end_s)]
	counted = {id(r) for r in inside}
	outside = [r for r in sampler.runs.values() if id(r) not in counted and (r.started or 0) >= start_s]
	methods: dict[str, dict] = defaultdict(lambda: {"jobs": 0, "worker_s": 0.0, "log_rows": 0, "failed": 0})
	for run in inside:
		row = methods[run.method]
		row["jobs"] += 1
		row["worker_s"] += run.worker_s
		row["failed"] += run.registry == "failed"
	for site_facts_ in facts.values():
		for method, count in site_facts_.log_rows.items():
			methods[method]["log_rows"] += count
	hours = minutes / 60
	scale = 1 / (len(sites) * hours)
	groups: dict[str, dict] = {
		g: {"jobs": 0.0, "worker_s": 0.0, "log_rows": 0.0}
		for g in ("perf_engine", "frappe_continuous", "frappe_other")
	}
	for method, row in methods.items():
		target = groups[kind_of(method, facts)]
		target["jobs"] += row["jobs"] * scale
		target["worker_s"] += row["worker_s"] * scale
		target["log_rows"] += row["log_rows"] * scale
	groups["frappe"] = {
		k: groups["frappe_continuous"][k] + groups["frappe_other"][k]
		for k in ("jobs", "worker_s", "log_rows")
	}
	promote_jobs = sum(1 for r in inside if r.method == PROMOTE_DUE_JOBS)
	passes = promote_jobs + counter_gain
	other_sites = sorted({r.site or "(none)" for r in inside} - set(sites))
	return {
		"label": label,
		"sites": sites,
		"site_count": len(sites),
		"minutes": minutes,
		"window_utc": [iso(start_s), iso(end_s)],
		"per_site_hour": {g: {k: round(v, 3) for k, v in row.items()} for g, row in groups.items()},
		"bench_passes_per_hour": round(passes / hours, 3),
		"bench_passes": {"promote_due_jobs_jobs": promote_jobs, "ledger_counter_gain": counter_gain},
		"methods": [
			{
				"method": method,
				"group": kind_of(method, facts),
				"frequency": frequency_of(method, facts),
				**{k: round(v, 3) for k, v in row.items()},
			}
			for method, row in sorted(
				methods.items(), key=lambda item: (kind_of(item[0], facts), -item[1]["jobs"])
			)
		],
		"jobs_counted": len(inside),
		"perf_engine_runs": [
			{
				"site": r.site,
				"method": r.method,
				**{t: iso(getattr(r, t) or 0, milliseconds=True) for t in ("started", "ended")},
			}
			for r in sorted(inside, key=lambda r: r.started or 0)
			if r.method.startswith(PERF_ENGINE)
		],
		"jobs_outside_window": [asdict(r) for r in outside],
		"jobs_of_other_sites": other_sites,
		"failed_jobs": [
			{"site": r.site, "method": r.method, "id": r.id, "error": last_line(r.error)}
			for r in inside
			if r.registry == "failed"
		],
		"failed_log_rows": [row for f in facts.values() for row in f.failed_logs],
		"error_log_rows": [row for f in facts.values() for row in f.error_logs],
		"log_rows_without_job": unmatched_logs(inside, facts),
		"samples": sampler.samples,
		"load_average_1m": {
			"mean": round(sum(sampler.load) / len(sampler.load), 2),
			"max": round(max(sampler.load), 2),
			"cpus": os.cpu_count(),
		},
		**extra,
	}


def in_window(run: JobRun, start_s: float, end_s: float) -> bool:
	"""Enqueued and ended inside the window: nothing left over from before, nothing after the stop."""
	return (
		run.enqueued is not None and run.enqueued >= start_s and run.ended is not None and run.ended <= end_s
	)


def kind_of(method: str, facts: dict[str, SiteFacts]) -> str:
	"""perf_engine's, or Frappe's continuous ("All" job types) or other work."""
	if method.startswith(PERF_ENGINE):
		return "perf_engine"
	return "frappe_continuous" if frequency_of(method, facts) == CONTINUOUS else "frappe_other"


def frequency_of(method: str, facts: dict[str, SiteFacts]) -> str:
	"""The method's Scheduled Job Type frequency on the sites, or "enqueued" for a job no type runs."""
	found = {f.frequencies[method] for f in facts.values() if method in f.frequencies}
	return "/".join(sorted(found)) or "enqueued"


def unmatched_logs(inside: list[JobRun], facts: dict[str, SiteFacts]) -> dict[str, int]:
	"""Log rows minus counted runs per site and method, where they differ: a run the sampler missed shows."""
	runs = Counter((r.site, r.method) for r in inside)
	differences = {}
	for site, site_facts_ in facts.items():
		for method, rows in site_facts_.log_rows.items():
			if rows != runs[(site, method)]:
				differences[f"{site} {method}"] = rows - runs[(site, method)]
	return differences


def iso(epoch_s: float, milliseconds: bool = False) -> str:
	moment = datetime.fromtimestamp(epoch_s, UTC)
	return moment.isoformat(" ", "milliseconds" if milliseconds else "seconds").removesuffix("+00:00")


def table(found: dict) -> str:
	"""The short table the run prints: per site per hour, then the bench-wide passes and the methods."""
	rows = found["per_site_hour"]
	lines = [
		f"footprint '{found['label']}': {found['site_count']} site(s), {found['minutes']:g} min, "
		f"{found['window_utc'][0]} -> {found['window_utc'][1]} UTC, {found['jobs_counted']} jobs",
		f"{'per site per hour':<30}{'jobs':>9}{'worker s':>10}{'log rows':>10}",
	]
	for group, title in (
		("perf_engine", "perf_engine"),
		("frappe_continuous", 'Frappe, continuous ("All")'),
		("frappe_other", "Frappe, other"),
	):
		row = rows[group]
		lines.append(f"{title:<30}{row['jobs']:>9.1f}{row['worker_s']:>10.2f}{row['log_rows']:>10.1f}")
	passes = found["bench_passes"]
	lines.append(
		f"bench-wide promotion passes per hour: {found['bench_passes_per_hour']:.1f} "
		f"(promote_due_jobs jobs {passes['promote_due_jobs_jobs']}, ledger counter +{passes['ledger_counter_gain']})"
	)
	for row in found["methods"]:
		if row["group"] == "perf_engine":
			lines.append(
				f"  {row['method']} [{row['frequency']}]: {row['jobs']} jobs, {row['worker_s']:.2f} s, "
				f"{row['log_rows']} log rows"
			)
	for what in ("failed_jobs", "failed_log_rows", "error_log_rows", "worker_log_problems"):
		if found[what]:
			lines.append(f"{what}: {len(found[what])}, e.g. {found[what][0]}")
	return "\n".join(lines)


def markdown(found: dict) -> str:
	"""The section `benchmarks.run` writes: the per site per hour table and the goals beside it."""
	rows = found["per_site_hour"]
	return (
		f"## perf_engine's background footprint, {found['site_count']} site(s) (issue 23)\n\n"
		f"`{found['label']}`: `bench schedule` and one worker for {found['minutes']:g} minutes "
		f"({found['window_utc'][0]} to {found['window_utc'][1]} UTC).\n\n"
		"| per site per hour | jobs | worker s | Scheduled Job Log rows |\n|---|---|---|---|\n"
		+ "".join(
			f"| {title} | {rows[g]['jobs']:.1f} | {rows[g]['worker_s']:.2f} | {rows[g]['log_rows']:.1f} |\n"
			for g, title in (
				("perf_engine", "perf_engine"),
				("frappe_continuous", 'Frappe, continuous ("All")'),
				("frappe_other", "Frappe, other"),
			)
		)
		+ f"\nBench-wide promotion passes per hour: {found['bench_passes_per_hour']:.1f}.\n"
	)


def run(quick: bool) -> str:
	bench_path = os.environ.get("PERF_ENGINE_FOOTPRINT_BENCH")
	sites = [s for s in os.environ.get("PERF_ENGINE_FOOTPRINT_SITES", "").split(",") if s]
	if not bench_path or not sites:
		return (
			"## perf_engine's background footprint (issue 23)\n\nSkipped: set $PERF_ENGINE_FOOTPRINT_BENCH "
			"and $PERF_ENGINE_FOOTPRINT_SITES (a bench whose sites have perf_engine), or run "
			"benchmarks/bench_footprint.py itself.\n"
		)
	cli = os.environ.get("PERF_ENGINE_FOOTPRINT_BENCH_CLI") or shutil.which("bench") or "bench"
	bench = load_bench(Path(bench_path), cli, "root", os.environ.get("PERF_ENGINE_DB_ROOT_PASSWORD", ""))
	log_dir = Path(tempfile.mkdtemp(prefix="footprint-"))
	return markdown(measure(bench, sites, 2 if quick else 10, "current", log_dir))


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--bench", type=Path, required=True, help="the bench's folder")
	parser.add_argument("--sites", required=True, help="comma-separated sites whose scheduler runs")
	parser.add_argument("--minutes", type=float, default=10, help="how long the scheduler and worker run")
	parser.add_argument("--label", default="run", help="what this run measures, e.g. before or after")
	parser.add_argument("--json", type=Path, help="write the full result here")
	parser.add_argument("--bench-cli", default=shutil.which("bench") or "bench", help="the bench command")
	parser.add_argument("--db-root-user", default="root")
	parser.add_argument("--db-root-password", default=os.environ.get("PERF_ENGINE_DB_ROOT_PASSWORD", ""))
	parser.add_argument("--log-dir", type=Path, help="where the scheduler's and worker's output go")
	args = parser.parse_args()
	# A SIGTERM ends the run as Ctrl-C does: the processes stop and the schedulers are put back.
	signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
	bench = load_bench(args.bench.resolve(), args.bench_cli, args.db_root_user, args.db_root_password)
	log_dir = args.log_dir or Path(tempfile.mkdtemp(prefix="footprint-"))
	log_dir.mkdir(parents=True, exist_ok=True)
	sites = [s.strip() for s in args.sites.split(",") if s.strip()]
	found = measure(bench, sites, args.minutes, args.label, log_dir)
	print(table(found))
	if args.json:
		args.json.write_text(json.dumps(found, indent=1) + "\n")


if __name__ == "__main__":
	main()
