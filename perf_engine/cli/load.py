"""`perf-engine load`: a load test of a Frappe site with locust, judged and recorded in the site.

Refuses to start without an explicit --target, prints what it will do, and asks before
loading anything but this machine (--yes to skip). The traffic follows a capacity model's
mix; with --target-peak MODEL it runs at --multiplier (2) x that model's peak rate. The
load itself runs in a child process (`load_generator`), so locust and gevent stay out of
this process and of the bench's; --workers N adds N locust worker processes to it.
Afterwards: figures per kind, the SLA verdict, a record in the site (a *Load Test Run*),
and a Markdown report on request. With --find-capacity the load is an open model stepped up
until the SLA breaks (`load_search`), and the report adds the curve and its knee.
"""

import argparse
import importlib.util
import ipaddress
import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict
from urllib.parse import urlsplit

from perf_engine.cli import exit_codes, load_search
from perf_engine.cli.capacity import parse_mix
from perf_engine.cli.load_report import markdown, print_summary
from perf_engine.cli.output import print_json
from perf_engine.cli.site_client import SiteClient
from perf_engine.core.capacity.model import MIX_FIELDS, CapacityInputs, web_workers
from perf_engine.core.config import ConnectionSettings
from perf_engine.core.errors import InvalidInput, PerfEngineError
from perf_engine.core.latency.thresholds import DEFAULT_THRESHOLDS
from perf_engine.core.load import rules as load_test

INSTALL_HINT = 'load testing needs locust: pip install "perf_engine[load]" where the load is generated'
BOOTSTRAP = "import locust, runpy; runpy.run_module('perf_engine.cli.load_generator', run_name='__main__')"
RECORD_METHOD = "perf_engine.api.record_load_test_run"
CAPACITY_MODEL = "Capacity Model"
PASSWORD_ENV = "PERF_ENGINE_LOAD_PASSWORD"
API_SECRET_ENV = "PERF_ENGINE_LOAD_API_SECRET"
DEFAULT_USERS = 10
DEFAULT_DURATION_S = 60
DEFAULT_MASTER_PORT = 5557
# A stopped locust worker waits out the run's stop timeout (10 s) before it reads "quit".
WORKER_EXIT_TIMEOUT_S = 30
LOCAL_NAMES = ("localhost",)
LOCAL_SUFFIX = ".localhost"


def register(subparsers: argparse._SubParsersAction) -> None:
	parser = exit_codes.add_command(
		subparsers,
		"load",
		"load-test a site with locust (staging first) and record the run",
		findings="the run failed its SLA: a kind's p95 above its threshold, or too many failures",
	)
	parser.add_argument("--target", help="base URL of the site to load, e.g. https://staging.example.com")
	parser.add_argument(
		"--site-name", help="the site to ask for when --target's host is not its name (an IP, several sites)"
	)
	parser.add_argument("--user", default="Administrator", help="user to sign in as (default Administrator)")
	parser.add_argument("--password", help=f"that user's password (or set {PASSWORD_ENV})")
	parser.add_argument("--api-key", help="API key, instead of a password")
	parser.add_argument("--api-secret", help=f"API secret (or set {API_SECRET_ENV})")
	parser.add_argument("--users", type=int, default=DEFAULT_USERS, help=f"simulated users ({DEFAULT_USERS})")
	parser.add_argument("--spawn-rate", type=float, help="users started per second (default: all in 1 s)")
	parser.add_argument(
		"--duration", type=float, default=DEFAULT_DURATION_S, help=f"seconds (default {DEFAULT_DURATION_S})"
	)
	parser.add_argument("--target-peak", metavar="MODEL", help="Capacity Model whose peak rate to run at")
	parser.add_argument(
		"--multiplier",
		type=float,
		default=load_test.DEFAULT_PEAK_MULTIPLIER,
		help=f"multiple of the model's peak (default {load_test.DEFAULT_PEAK_MULTIPLIER:g})",
	)
	parser.add_argument("--mix", help="light,medium,heavy,batch percentages (default: the model's)")
	parser.add_argument("--web-workers", type=int, help="gunicorn workers serving the target (calibration)")
	parser.add_argument("--workers", type=int, default=0, help="local locust worker processes")
	parser.add_argument("--expect-workers", type=int, default=0, help="remote locust workers to wait for")
	parser.add_argument("--master-bind", default="127.0.0.1", help="address workers connect to")
	parser.add_argument("--master-port", type=int, help=f"port workers connect to ({DEFAULT_MASTER_PORT})")
	parser.add_argument("--worker", action="store_true", help="run as a locust worker of a master elsewhere")
	parser.add_argument("--master-host", help="the master's address, with --worker")
	parser.add_argument("--report", metavar="FILE", help="write a Markdown report")
	parser.add_argument("--no-record", action="store_true", help="do not record the run in the site")
	parser.add_argument("--yes", action="store_true", help="do not ask before loading a remote site")
	load_search.add_options(parser)
	parser.set_defaults(handler=handle)


def handle(settings: ConnectionSettings, args: argparse.Namespace) -> int:
	if args.worker:
		return run_worker(args) if locust_installed() else missing_locust()
	target = target_url(args.target)
	signin = credentials(args)
	if not locust_installed():
		return missing_locust()
	# The target is only touched before the confirmation to read the model the plan needs.
	client = signed_in(target, signin, args.site_name) if args.target_peak else None
	model = client.get_doc(CAPACITY_MODEL, args.target_peak) if client else None
	plan = make_plan(target, args, model, signin)
	describe(plan)
	if not confirmed(target, args.yes):
		print("perf-engine: not started", file=sys.stderr)
		return exit_codes.BAD_INPUT
	if plan["search"]:
		client = client or signed_in(target, signin, args.site_name)
		plan["thresholds"], plan["thresholds_from"] = load_search.site_thresholds(client)
		result = load_search.judge(plan, generate(plan))
	else:
		result = judge(plan, generate(plan))
	recordable = not args.no_record and result["figures"] is not None
	failure = record(result, client, target, signin, args.site_name) if recordable else None
	if args.report:
		with open(args.report, "w", encoding="utf-8") as report:
			report.write(markdown(result))
	if args.json:
		print_json(result)
	else:
		print_summary(result)
	if failure is not None:
		raise failure
	return exit_codes.OK if succeeded(result) else exit_codes.FINDINGS


def succeeded(result: dict) -> bool:
	"""A run passed its SLA; a capacity search found a rate that kept it."""
	if "knee" in result:
		return result["knee"]["requests_per_s"] is not None
	return result["verdict"]["sla_verdict"] == load_test.PASS


def record(
	result: dict, client: SiteClient | None, target: str, signin: dict, site_name: str | None
) -> PerfEngineError | None:
	"""Record the run in the site, which judges it by its own thresholds; a refusal is returned, to
	be raised once the figures are out, so a run is never lost to a failed recording."""
	try:
		client = client or signed_in(target, signin, site_name)
		result["record"] = client.call(RECORD_METHOD, run=json.dumps(record_payload(result)))
	except PerfEngineError as exc:
		result["record"] = {"error": str(exc)}
		return exc
	result["verdict"] = result["record"]["verdict"]
	if "knee" in result["record"]:
		result["knee"] = result["record"]["knee"]
	return None


def locust_installed() -> bool:
	"""Whether locust can be imported here, found without importing it (its import patches the process)."""
	return importlib.util.find_spec("locust") is not None


def missing_locust() -> int:
	print(f"perf-engine: {INSTALL_HINT}", file=sys.stderr)
	return exit_codes.BAD_INPUT


def target_url(text: str | None) -> str:
	"""The explicit http(s) URL of the site; there is no default target."""
	if not text:
		raise InvalidInput(
			"load needs --target URL, the site to load (a staging copy first), e.g. --target http://127.0.0.1:8000"
		)
	parts = urlsplit(text)
	if parts.scheme not in ("http", "https") or not parts.hostname:
		raise InvalidInput(f"--target must be an http(s) URL like https://staging.example.com, got {text!r}")
	return text.rstrip("/")


def is_local(url: str) -> bool:
	"""This machine: localhost, *.localhost or a loopback address."""
	host = urlsplit(url).hostname or ""
	if host in LOCAL_NAMES or host.endswith(LOCAL_SUFFIX):
		return True
	try:
		return ipaddress.ip_address(host).is_loopback
	except ValueError:
		return False


def credentials(args: argparse.Namespace) -> dict:
	"""A token header for API key and secret, else the user and password; one of them is needed."""
	secret = args.api_secret or os.environ.get(API_SECRET_ENV)
	if args.api_key:
		if not secret:
			raise InvalidInput(f"--api-key needs --api-secret (or {API_SECRET_ENV})")
		return {"authorization": f"token {args.api_key}:{secret}"}
	password = args.password or os.environ.get(PASSWORD_ENV)
	if not password:
		raise InvalidInput(f"sign in with --password (or {PASSWORD_ENV}), or with --api-key and --api-secret")
	return {"user": args.user, "password": password}


def signed_in(target: str, signin: dict, site_name: str | None) -> SiteClient:
	"""A REST client of the target, signed in as the load's user: to read the model and record the run."""
	client = SiteClient(target, signin.get("authorization"), site_name)
	if "password" in signin:
		client.login(signin["user"], signin["password"])
	return client


def model_mix(model: dict | None, text: str | None) -> dict[str, float]:
	"""Mix percentages from --mix, else the model's, else the capacity model's defaults."""
	if text:
		return dict(zip(MIX_FIELDS, parse_mix(text), strict=True))
	source = model or {}
	return {name: float(source.get(name, getattr(CapacityInputs, name))) for name in MIX_FIELDS}


def peak_per_min(model: dict) -> float:
	"""The model's peak requests per minute, by the same reference formula it was saved with."""
	inputs = CapacityInputs(
		concurrent_users=float(model["concurrent_users"]),
		transactions_per_user_per_hour=float(model["transactions_per_user_per_hour"]),
		peak_multiplier=float(model.get("peak_multiplier") or CapacityInputs.peak_multiplier),
		# The host's size plays no part in the peak rate; these only spare probing this machine.
		host_cpu_cores=1,
		host_memory_gb=1,
	)
	return web_workers(inputs)["peak_requests_per_min"]


def make_plan(target: str, args: argparse.Namespace, model: dict | None, signin: dict) -> dict:
	"""Everything the run will do, checked before anything is sent."""
	spawn_rate = args.spawn_rate if args.spawn_rate is not None else float(args.users)
	load_test.check_shape(args.users, spawn_rate, args.duration)
	if args.workers < 0 or args.expect_workers < 0:
		raise InvalidInput("--workers and --expect-workers count processes: 0 or more")
	if args.report and not os.access(os.path.dirname(os.path.abspath(args.report)), os.W_OK):
		raise InvalidInput(f"--report {args.report}: its folder does not exist or is not writable")
	limits = load_search.limits_of(args) if args.find_capacity else None
	rate = None
	if model and not limits:
		rate = load_test.target_rate_per_s(peak_per_min(model), args.multiplier)
	return {
		"run_id": uuid.uuid4().hex[:10],
		"target_url": target,
		"site_name": args.site_name,
		"users": args.users,
		"spawn_rate": spawn_rate,
		"duration_s": args.duration,
		"capacity_model": model["name"] if model else None,
		"peak_multiplier": args.multiplier if rate else None,
		"target_rate_per_s": rate,
		"rate_per_user_per_s": rate / args.users if rate else None,
		"mix": model_mix(model, args.mix),
		"weights": load_test.kind_weights(model_mix(model, args.mix)),
		"web_workers": args.web_workers,
		"local_workers": args.workers,
		"expect_workers": args.workers + args.expect_workers,
		"master_bind": args.master_bind,
		"master_port": args.master_port
		or (free_port() if args.workers and not args.expect_workers else DEFAULT_MASTER_PORT),
		"sign_in_as": signin.get("user") or "API key",
		"search": asdict(limits) if limits else None,
		**signin,
	}


def free_port() -> int:
	"""A TCP port nobody listens on now, for a master whose workers are all local."""
	with closing(socket.socket()) as probe:
		probe.bind(("127.0.0.1", 0))
		return probe.getsockname()[1]


def describe(plan: dict) -> None:
	"""What the run will do, on stderr before it starts."""
	lines = [f"perf-engine load: {plan['target_url']} as {plan['sign_in_as']}"]
	if plan["search"]:
		lines += load_search.describe(plan)
	else:
		lines.append(
			f"  {plan['users']} users (started {plan['spawn_rate']:g}/s) for {plan['duration_s']:g} s"
		)
	if plan["target_rate_per_s"]:
		lines.append(
			f"  aiming at {plan['target_rate_per_s']:.2f} requests/s: {plan['peak_multiplier']:g} x the peak of "
			f"Capacity Model {plan['capacity_model']}"
		)
	elif not plan["search"]:
		lines.append("  each user pauses like a person between requests (no target rate)")
	weights = ", ".join(f"{kind} {share:.0%}" for kind, share in plan["weights"].items() if share)
	lines.append(f"  mix: {weights}")
	lines.append(f"  saves create ToDos marked '{load_test.TODO_MARKER}' and delete them again")
	if plan["expect_workers"]:
		lines.append(
			f"  locust master on {plan['master_bind']}:{plan['master_port']} with {plan['expect_workers']} worker(s)"
		)
	print("\n".join(lines), file=sys.stderr)


def confirmed(target: str, yes: bool) -> bool:
	"""This machine needs no question; any other target an explicit yes."""
	if yes or is_local(target):
		return True
	if not sys.stdin.isatty():
		raise InvalidInput(f"{target} is not this machine: confirm with --yes to load it")
	return input(f"Load {target} now? [y/N] ").strip().lower() in ("y", "yes")


def generate(plan: dict) -> dict:
	"""Run the locust child process (and its local workers); what it recorded per kind."""
	with interrupts_left_to_generator(bool(plan["search"])):
		workers = [
			subprocess.Popen(
				[
					sys.executable,
					"-c",
					BOOTSTRAP,
					"--worker",
					local_address(plan["master_bind"]),
					str(plan["master_port"]),
				],
				stdout=subprocess.DEVNULL,
			)
			for _ in range(plan["local_workers"])
		]
		try:
			finished = subprocess.run(
				[sys.executable, "-c", BOOTSTRAP], input=json.dumps(plan), stdout=subprocess.PIPE, text=True
			)
		finally:
			for worker in workers:
				stop_worker(worker)
	if finished.returncode != 0:
		raise InvalidInput(f"the load generator stopped with exit code {finished.returncode} (see above)")
	return json.loads(finished.stdout)


@contextmanager
def interrupts_left_to_generator(searching: bool) -> Iterator[None]:
	"""During a search, Ctrl-C is the generator's to handle: it stops the load and still reports. Local
	workers started inside inherit the ignore and quit when their master tells them to."""
	if not searching:
		yield
		return
	interrupt_was = signal.signal(signal.SIGINT, signal.SIG_IGN)
	try:
		yield
	finally:
		signal.signal(signal.SIGINT, interrupt_was)


def stop_worker(worker: subprocess.Popen) -> None:
	"""A local worker quits when its master tells it to; one that does not is stopped, its figures
	already with the master."""
	try:
		worker.wait(timeout=WORKER_EXIT_TIMEOUT_S)
	except subprocess.TimeoutExpired:
		worker.kill()
		worker.wait()


def local_address(bind: str) -> str:
	"""Where a local worker finds a master bound to `bind`."""
	return "127.0.0.1" if bind in ("*", "0.0.0.0", "") else bind


def run_worker(args: argparse.Namespace) -> int:
	"""A locust worker for a master elsewhere (`perf-engine load --expect-workers N` there)."""
	if not args.master_host:
		raise InvalidInput("--worker needs --master-host, the machine running `perf-engine load`")
	port = str(args.master_port or DEFAULT_MASTER_PORT)
	return subprocess.run([sys.executable, "-c", BOOTSTRAP, "--worker", args.master_host, port]).returncode


def judge(plan: dict, recorded: dict) -> dict:
	"""The summary per kind and a verdict by the default thresholds (the site's replace it when recorded)."""
	records = {
		kind: load_test.KindRecord(
			kind, {float(ms): count for ms, count in data["histogram"].items()}, data["failures"]
		)
		for kind, data in recorded["kinds"].items()
	}
	summary = load_test.summarise(records, recorded["duration_s"])
	thresholds = {t.operation_type: t for t in DEFAULT_THRESHOLDS}
	public_plan = {key: value for key, value in plan.items() if key not in ("password", "authorization")}
	return {
		"plan": public_plan,
		"started_at": recorded["started_at"],
		"ended_at": recorded["ended_at"],
		"figures": summary,
		"errors": recorded["errors"],
		"verdict": {**load_test.verdict(summary, thresholds), "thresholds": "perf_engine's defaults"},
	}


def record_payload(result: dict) -> dict:
	"""What the site's record_load_test_run takes: the plan's shape and the figures, no secret."""
	plan = result["plan"]
	return {
		"target_url": plan["target_url"],
		"started_at": result["started_at"],
		"ended_at": result["ended_at"],
		"users": plan["users"],
		"spawn_rate": plan["spawn_rate"],
		"capacity_model": plan["capacity_model"],
		"peak_multiplier": plan["peak_multiplier"],
		"target_rate_per_s": plan["target_rate_per_s"],
		"web_workers": plan["web_workers"],
		"figures": result["figures"],
		"capacity_search": result.get("search"),
	}
