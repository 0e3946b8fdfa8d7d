"""The locust side of `perf-engine load`: Frappe users, and a local, master or worker runner.

Run only as a child process started by `perf_engine.cli.load` (through its `BOOTSTRAP`, which
imports locust first so gevent patches the standard library before anything else loads),
never imported by the CLI itself: locust is an optional extra, and gevent's patching must
stay out of the CLI's and the bench's processes. The parent passes the plan as JSON on
stdin; the generator prints progress on stderr and the recorded histograms as JSON on stdout.

Distribution is locust's own: `--workers N` starts N `WorkerRunner` processes here that
connect to a `MasterRunner`; workers on other machines connect the same way
(`perf-engine load --worker --master-host MASTER`). The plan reaches the workers inside
locust's spawn message (`parsed_options`), as any locust custom argument does.
"""

import json
import random
import signal
import sys
import time
import uuid
from datetime import datetime, timezone

import gevent
from gevent.event import Event
from locust import HttpUser, between, constant_throughput, events, task
from locust.argument_parser import get_empty_argument_parser, setup_parser_arguments
from locust.env import Environment
from locust.rpc import Message
from locust.runners import WORKER_REPORT_INTERVAL, LocalRunner, MasterRunner, WorkerRunner

from perf_engine.cli.site_client import SITE_HEADER
from perf_engine.core.latency.thresholds import Threshold
from perf_engine.core.load import search
from perf_engine.core.load.rules import (
	API_CALL,
	DELETE,
	FORM_LOAD,
	LIST_VIEW,
	LOGIN,
	REPORT,
	SAVE,
	TODO_MARKER,
	KindRecord,
	summarise,
)

PLAN_OPTION = "perf_engine_plan"
TODO = "ToDo"
LIST_PAGE_LENGTH = 20
REPORT_NAME = "ToDo"
# Without a target rate, each simulated user pauses like a person between clicks.
THINK_TIME_S = (0.5, 1.5)
PROGRESS_EVERY_S = 1.0
WORKERS_CONNECT_TIMEOUT_S = 30
STOP_TIMEOUT_S = 10
# How long after the master's stop a worker may take to say it stopped (its last figures come first).
STOPPED_WAIT_S = STOP_TIMEOUT_S + WORKER_REPORT_INTERVAL + 1
HTTP_TIMEOUT_S = 120


def plan_of(environment: Environment) -> dict:
	return getattr(environment.parsed_options, PLAN_OPTION)


def pacing(user: "FrappeUser") -> float:
	"""Seconds to wait before the next task: the plan's per-user rate, or a person's think time."""
	rate = plan_of(user.environment).get("rate_per_user_per_s")
	wait = constant_throughput(rate) if rate else between(*THINK_TIME_S)
	return wait(user)


class FrappeUser(HttpUser):
	"""One Desk user: logs in, then lists, opens, reports on, reads over REST and saves ToDos."""

	wait_time = pacing

	def on_start(self) -> None:
		self.plan = plan_of(self.environment)
		self.client.timeout = HTTP_TIMEOUT_S
		self.client.headers["Accept"] = "application/json"
		if self.plan.get("site_name"):
			self.client.headers[SITE_HEADER] = self.plan["site_name"]
		self.own: list[str] = []
		self.seen: list[str] = []
		self.tag = f"{TODO_MARKER} {self.plan['run_id']} {uuid.uuid4().hex[:8]}"
		self.user = self.login()
		# An own ToDo to open, whatever the site holds; every own ToDo is deleted by on_stop at the latest.
		self.create_todo()

	def on_stop(self) -> None:
		for name in list(self.own):
			self.delete_todo(name)

	def login(self) -> str:
		"""Sign in; the user's id, to whom the ToDos are allocated (Frappe lets that user delete them)."""
		if not self.plan.get("authorization"):
			self.client.post(
				"/api/method/login", json={"usr": self.plan["user"], "pwd": self.plan["password"]}, name=LOGIN
			)
			return self.plan["user"]
		self.client.headers["Authorization"] = self.plan["authorization"]
		response = self.client.get("/api/method/frappe.auth.get_logged_user", name=LOGIN)
		try:
			return response.json()["message"]
		except (ValueError, KeyError, TypeError):
			return ""

	@task
	def one_request(self) -> None:
		"""One request of a kind drawn with the plan's weights; none while a capacity search drains the bench."""
		if plan_of(self.environment).get("paused"):
			return
		kinds, weights = zip(*self.plan["weights"].items(), strict=True)
		kind = random.choices(kinds, weights)[0]
		getattr(self, kind)()

	def list_view(self) -> None:
		response = self.client.get(
			"/api/method/frappe.desk.reportview.get",
			params={
				"doctype": TODO,
				"fields": json.dumps(["`tabToDo`.`name`", "`tabToDo`.`status`", "`tabToDo`.`modified`"]),
				"order_by": "`tabToDo`.`modified` desc",
				"start": 0,
				"page_length": LIST_PAGE_LENGTH,
				"view": "List",
			},
			name=LIST_VIEW,
		)
		names = names_in(response)
		if names:
			self.seen = names

	def form_load(self) -> None:
		name = random.choice(self.seen + self.own) if self.seen or self.own else None
		if name is None:
			self.list_view()
			return
		self.client.get(
			"/api/method/frappe.desk.form.load.getdoc", params={"doctype": TODO, "name": name}, name=FORM_LOAD
		)

	def report(self) -> None:
		self.client.get(
			"/api/method/frappe.desk.query_report.run",
			params={"report_name": REPORT_NAME, "filters": "{}"},
			name=REPORT,
		)

	def api_call(self) -> None:
		self.client.get(
			f"/api/resource/{TODO}",
			params={
				"fields": json.dumps(["name", "status", "priority"]),
				"limit_page_length": LIST_PAGE_LENGTH,
			},
			name=API_CALL,
		)

	def save(self) -> None:
		name = self.create_todo()
		if name:
			self.delete_todo(name)

	def create_todo(self) -> str | None:
		response = self.client.post(
			f"/api/resource/{TODO}",
			json={"description": self.tag, "priority": "Low", "allocated_to": self.user or None},
			name=SAVE,
		)
		try:
			name = response.json()["data"]["name"]
		except (ValueError, KeyError, TypeError):
			return None
		self.own.append(name)
		return name

	def delete_todo(self, name: str) -> None:
		response = self.client.delete(f"/api/resource/{TODO}/{name}", name=DELETE)
		if response.ok:
			self.own.remove(name)


def names_in(response) -> list[str]:
	"""Document names from reportview.get's compressed answer ({keys, values}); none when unreadable."""
	try:
		message = response.json()["message"]
		column = message["keys"].index("name")
		return [row[column] for row in message["values"]]
	except (ValueError, KeyError, TypeError, AttributeError):
		return []


def locust_options(plan: dict):
	"""locust's own options with the plan added as a custom one, so spawn messages carry it."""
	parser = get_empty_argument_parser()
	setup_parser_arguments(parser)
	options = parser.parse(args=["--headless"])
	setattr(options, PLAN_OPTION, plan)
	return options


def environment(plan: dict | None) -> Environment:
	env = Environment(user_classes=[FrappeUser], events=events, host=plan and plan["target_url"])
	env.parsed_options = locust_options(plan) if plan else None
	env.stop_timeout = STOP_TIMEOUT_S
	return env


def recorded(env: Environment) -> dict:
	"""Per kind: locust's response-time histogram ({ms: count}) and its failure count."""
	kinds = {}
	for (name, _method), entry in env.runner.stats.entries.items():
		kind = kinds.setdefault(name, {"histogram": {}, "failures": 0})
		for ms, count in entry.response_times.items():
			kind["histogram"][ms] = kind["histogram"].get(ms, 0) + count
		kind["failures"] += entry.num_failures
	errors = [
		{"kind": error.name, "error": str(error.error), "occurrences": error.occurrences}
		for error in env.runner.stats.errors.values()
	]
	return {"kinds": kinds, "errors": errors}


def show_progress(env: Environment, started: float, duration_s: float) -> None:
	"""A line on stderr, redrawn each second: time, users, requests, rate, failures."""
	while True:
		elapsed = time.monotonic() - started
		total = env.runner.stats.total
		sys.stderr.write(
			f"\r{min(elapsed, duration_s):5.0f}/{duration_s:.0f} s  users {env.runner.user_count:4d}  "
			f"requests {total.num_requests:7d}  {total.current_rps:7.1f}/s  failures {total.num_failures}"
		)
		sys.stderr.flush()
		gevent.sleep(PROGRESS_EVERY_S)


def wait_for_workers(runner: MasterRunner, expected: int) -> None:
	deadline = time.monotonic() + WORKERS_CONNECT_TIMEOUT_S
	while runner.worker_count < expected:
		if time.monotonic() > deadline:
			raise SystemExit(f"only {runner.worker_count} of {expected} workers connected")
		gevent.sleep(0.2)


def wait_until_stopped(runner: MasterRunner, workers: list[str]) -> None:
	"""Wait until every worker has said it stopped, then tell each to quit. A worker sends its last figures
	just before saying so (`report_on_stop`) and the master reads a worker's messages in order, so from
	then on every request it made is counted: no periodic report has to arrive in time."""
	deadline = time.monotonic() + STOPPED_WAIT_S
	# A worker leaves the master's list when its "client_stopped" is read.
	while any(worker in runner.clients for worker in workers) and time.monotonic() < deadline:
		gevent.sleep(0.1)
	for worker in workers:
		runner.server.send_to_client(Message("quit", None, worker))


def start_runner(env: Environment, plan: dict) -> tuple[LocalRunner | MasterRunner, list[str]]:
	"""A local runner, or a master once every expected worker connected (and their ids)."""
	expected = plan.get("expect_workers", 0)
	if not expected:
		return env.create_local_runner(), []
	runner = env.create_master_runner(plan["master_bind"], plan["master_port"])
	wait_for_workers(runner, expected)
	return runner, [client.id for client in runner.clients.all]


def run(plan: dict) -> dict:
	"""Drive the load for the plan's duration and return what was recorded."""
	env = environment(plan)
	runner, workers = start_runner(env, plan)
	started_at = datetime.now(timezone.utc)
	started = time.monotonic()
	runner.start(plan["users"], spawn_rate=plan["spawn_rate"])
	progress = gevent.spawn(show_progress, env, started, plan["duration_s"])
	gevent.sleep(plan["duration_s"])
	# Users finish the request under way and delete their ToDos; a master waits for every worker.
	runner.stop()
	ended = time.monotonic()
	ended_at = datetime.now(timezone.utc)
	if workers:
		wait_until_stopped(runner, workers)
	progress.kill()
	sys.stderr.write("\n")
	figures = recorded(env)
	runner.quit()
	return {
		**figures,
		"started_at": started_at.isoformat(),
		"ended_at": ended_at.isoformat(),
		"duration_s": round(ended - started, 3),
	}


def run_search(plan: dict) -> dict:
	"""Step the offered rate as core.load.search decides, each step held and judged on its own figures,
	until the search stops itself or the operator presses Ctrl-C; every step held, as summaries."""
	env = environment(plan)
	runner, workers = start_runner(env, plan)
	limits = search.SearchLimits(**plan["search"])
	thresholds = {row["operation_type"]: Threshold(**row) for row in plan["thresholds"]}
	interrupted = Event()
	gevent.signal_handler(signal.SIGINT, interrupted.set)
	started_at, started = datetime.now(timezone.utc), time.monotonic()
	steps: list[search.Step] = []
	held: list[dict] = []
	errors: list[dict] = []
	while True:
		rate, stopped_by = search.next_rate(steps, limits, time.monotonic() - started)
		if rate is None:
			break
		users = search.users_for(rate, held[-1]["users"] if held else 0)
		if search.drains(steps) and not drain(env, runner, held[-1]["users"], interrupted):
			stopped_by = search.INTERRUPTED
			break
		figures = hold_step(env, runner, rate, users, limits.hold_s, interrupted)
		if figures is None:
			stopped_by = search.INTERRUPTED
			break
		steps.append(search.held(rate, figures["summary"], thresholds))
		held.append({"offered_rate_per_s": rate, "users": users, "summary": figures["summary"]})
		errors += figures["errors"]
		show_step(len(steps), users, steps[-1])
	runner.stop()
	ended_at = datetime.now(timezone.utc)
	if workers:
		wait_until_stopped(runner, workers)
	runner.quit()
	return {
		"steps": held,
		"stopped_by": stopped_by,
		"errors": errors,
		"started_at": started_at.isoformat(),
		"ended_at": ended_at.isoformat(),
		"duration_s": round(time.monotonic() - started, 3),
	}


def drain(env: Environment, runner: LocalRunner | MasterRunner, users: int, interrupted: Event) -> bool:
	"""Pause every user for DRAIN_S so the bench serves its backlog; False when interrupted meanwhile."""
	plan = plan_of(env)
	plan["paused"] = True
	# The same users again: the spawn message carries the pause to the workers.
	runner.start(users, spawn_rate=users)
	stopped = interrupted.wait(timeout=search.DRAIN_S)
	plan["paused"] = False
	return not stopped


def hold_step(
	env: Environment,
	runner: LocalRunner | MasterRunner,
	rate: float,
	users: int,
	hold_s: float,
	interrupted: Event,
) -> dict | None:
	"""Offer `rate` with `users` users for hold_s seconds; the step's summary, or None when interrupted.
	A master's figures arrive from its workers every few seconds, so its steps are off by that much."""
	plan = plan_of(env)
	plan["rate_per_user_per_s"] = search.task_rate_per_s(rate, plan["weights"]) / users
	# The new per-user rate reaches workers in the spawn message, as the plan always does. New users
	# start spread over one request interval, so their requests do not arrive in bursts.
	runner.start(users, spawn_rate=rate)
	if interrupted.wait(timeout=search.SETTLE_S):
		return None
	env.runner.stats.reset_all()
	step_started = time.monotonic()
	if interrupted.wait(timeout=hold_s):
		return None
	figures = recorded(env)
	records = {
		kind: KindRecord(
			kind, {float(ms): count for ms, count in data["histogram"].items()}, data["failures"]
		)
		for kind, data in figures["kinds"].items()
		if data["histogram"] or data["failures"]
	}
	return {"summary": summarise(records, time.monotonic() - step_started), "errors": figures["errors"]}


def show_step(number: int, users: int, step: search.Step) -> None:
	"""One line per step on stderr: offered and served rate, p95, and whether it kept the SLA."""
	p95 = step.summary["total"]["p95_ms"]
	verdict = "kept the SLA" if step.kept_sla else f"broke: {step.breach['text']}"
	sys.stderr.write(
		f"step {number}: {step.offered_rate_per_s:g} requests/s offered ({users} users), "
		f"{step.served_rate_per_s:.2f} served, p95 {p95 if p95 is not None else '-'} ms: {verdict}\n"
	)
	sys.stderr.flush()


def run_worker(master_host: str, master_port: int) -> None:
	"""A locust worker: takes users and the plan from the master until it says quit."""
	env = environment(None)
	runner = env.create_worker_runner(master_host, master_port)
	env.events.test_stop.add_listener(lambda environment, **_: report_on_stop(runner))
	runner.greenlet.join()


def report_on_stop(runner: WorkerRunner) -> None:
	"""Send the figures not reported yet once the users have stopped (their on_stop deletes done), before
	locust says "client_stopped": otherwise they wait for the next periodic report, which a busy machine
	can deliver after the master has added up the run."""
	data: dict = {}
	runner.environment.events.report_to_master.fire(client_id=runner.client_id, data=data)
	runner.send_message("stats", data)


def main() -> None:
	if len(sys.argv) > 1 and sys.argv[1] == "--worker":
		run_worker(sys.argv[2], int(sys.argv[3]))
		return
	plan = json.load(sys.stdin)
	json.dump(run_search(plan) if plan.get("search") else run(plan), sys.stdout)


if __name__ == "__main__":
	main()
