"""Load Test Runs for this site: record one from `perf-engine load`, with its verdict and the bench's workers.

The figures come from the load generator; the SLA verdict is judged here against this site's
Performance Thresholds (core.load_test), the worker counts are what the bench runs at the
time of recording, and the sustainable rate per web worker (core.calibration) is stored so
an operator can apply it later. A capacity search's steps are judged again here by the same
core rule (core.load.search) with the site's thresholds: its curve, its knee and what the knee
calibrates as (a lower bound, or measured capacity once confirmed).
"""

from collections.abc import Mapping

import frappe
from frappe.utils import convert_utc_to_system_timezone, get_datetime

from perf_engine.core.capacity import bench_comparison
from perf_engine.core.checks import run_check
from perf_engine.core.config import bench_config
from perf_engine.core.errors import InvalidInput
from perf_engine.core.load import calibration, search
from perf_engine.core.load import rules as load_test
from perf_engine.perf_engine.doctype.performance_threshold.performance_threshold import load_thresholds
from perf_engine.services import bridge

DOCTYPE = "Load Test Run"
CAPACITY_MODEL = "Capacity Model"
GIVEN_BY_RUN = "given by the load test (--web-workers)"
FROM_BENCH_CONFIG = "common_site_config.json gunicorn_workers"


def record(payload: Mapping) -> dict:
	"""Check the payload, judge it, note the bench's workers and insert the run; its name and verdict."""
	summary = load_test.read_summary(payload.get("figures"))
	started_at, ended_at = moment(payload, "started_at"), moment(payload, "ended_at")
	if ended_at < started_at:
		raise InvalidInput("ended_at is before started_at")
	model = payload.get("capacity_model")
	if model and not frappe.db.exists(CAPACITY_MODEL, model):
		raise InvalidInput(f"Capacity Model {model!r} does not exist")
	thresholds = load_thresholds()
	verdict = load_test.verdict(summary, thresholds)
	bench = bench_workers(payload.get("web_workers"))
	searched = capacity_search(payload.get("capacity_search"), thresholds, bench["web_workers"])
	run = frappe.get_doc(
		{
			"doctype": DOCTYPE,
			"started_at": started_at,
			"ended_at": ended_at,
			"duration_s": summary["duration_s"],
			"target_url": text(payload.get("target_url"), "target_url"),
			"users": whole(payload.get("users"), "users"),
			"spawn_rate": optional_number(payload.get("spawn_rate"), "spawn_rate"),
			"capacity_model": model or None,
			"peak_multiplier": optional_number(payload.get("peak_multiplier"), "peak_multiplier"),
			"target_rate_per_s": optional_number(payload.get("target_rate_per_s"), "target_rate_per_s"),
			"sla_verdict": verdict["sla_verdict"],
			"total_requests": summary["total"]["requests"],
			"total_failures": summary["total"]["failures"],
			"requests_per_s": summary["total"]["requests_per_s"],
			"p95_ms": summary["total"]["p95_ms"],
			"kinds": [kind_row(kind, row, verdict["kinds"][kind]) for kind, row in summary["kinds"].items()],
			**bench,
			**sustainable(summary, verdict["sla_verdict"], bench["web_workers"]),
			"figures_json": frappe.as_json({"figures": summary, "verdict": verdict}),
			**(searched["fields"] if searched else {"capacity_kind": calibration.LOWER_BOUND}),
		}
	)
	run.insert()
	if searched:
		return {"name": run.name, "verdict": verdict, "knee": searched["knee"]}
	return {"name": run.name, "verdict": verdict}


def capacity_search(sent: object, thresholds: Mapping, web_workers: int | None) -> dict | None:
	"""A search's steps judged by this site's thresholds: the run's fields (knee, curve) and the knee."""
	if sent is None:
		return None
	if not isinstance(sent, Mapping) or not isinstance(sent.get("steps"), list) or not sent["steps"]:
		raise InvalidInput("capacity_search must carry the steps `perf-engine load --find-capacity` held")
	if sent.get("stopped_by") not in search.STOP_REASONS:
		raise InvalidInput(f"capacity_search.stopped_by must be one of {', '.join(search.STOP_REASONS)}")
	steps = [held_step(step, thresholds) for step in sent["steps"]]
	knee = search.knee(steps, sent["stopped_by"], web_workers)
	users = [step.get("users") for step in sent["steps"]]
	broke = knee["broke_at"] or {}
	fields = {
		"is_capacity_search": 1,
		"knee_requests_per_s": knee["requests_per_s"],
		"knee_requests_per_worker_per_min": knee["requests_per_worker_per_min"],
		"knee_offered_rate_per_s": knee["offered_rate_per_s"],
		"capacity_kind": calibration.capacity_kind(knee),
		"broke_at_step": broke.get("step"),
		"broke_at_rate_per_s": broke.get("offered_rate_per_s"),
		"knee_reason": knee["reason"],
		"search_stopped_by": knee["stop_reason"],
		"steps": [step_row(n, users[n - 1], step) for n, step in enumerate(steps, start=1)],
		"search_json": frappe.as_json(
			{"knee": knee, "steps": [search.curve_row(step) for step in steps], "limits": sent.get("limits")}
		),
		**search_calibration(knee, web_workers),
	}
	return {"fields": fields, "knee": knee}


def held_step(sent: object, thresholds: Mapping) -> search.Step:
	"""One step as sent: a positive offered rate and a summary checked like a run's figures."""
	if not isinstance(sent, Mapping):
		raise InvalidInput("each capacity_search step must be an object")
	rate = load_test.finite(sent.get("offered_rate_per_s"), "capacity_search step offered_rate_per_s")
	if rate <= 0:
		raise InvalidInput(f"a step's offered rate must be above 0, got {rate:g}")
	summary = sent.get("summary")
	if isinstance(summary, Mapping) and summary.get("kinds") == {}:
		# A step in which nothing completed is a step that broke, not a malformed one.
		duration_s = load_test.finite(summary.get("duration_s"), "capacity_search step duration_s")
		return search.held(rate, load_test.summarise({}, duration_s), thresholds)
	return search.held(rate, load_test.read_summary(summary), thresholds)


def step_row(number: int, users: object, step: search.Step) -> dict:
	row = search.curve_row(step)
	return {
		"step": number,
		"users": users if isinstance(users, int) and not isinstance(users, bool) else None,
		**{key: row[key] for key in ("offered_rate_per_s", "served_rate_per_s", "requests", "failures")},
		**{key: row[key] for key in ("p50_ms", "p95_ms", "p99_ms")},
		"kept_sla": int(row["kept_sla"]),
		"breach": row["breach"],
	}


def search_calibration(knee: dict, web_workers: int | None) -> dict:
	"""A search calibrates by its knee (the rate it served there per web worker), or says why not."""
	try:
		rate = calibration.knee_requests_per_worker_per_min(knee, web_workers)
	except InvalidInput as exc:
		return {"sustainable_requests_per_worker_per_min": None, "calibration_note": str(exc)}
	kind = calibration.capacity_kind(knee)
	return {
		"sustainable_requests_per_worker_per_min": rate,
		"calibration_note": f"{rate:g} requests per web worker per minute at the knee: {kind.lower()}",
	}


def moment(payload: Mapping, name: str):
	"""A date-time in the site's time zone, as Frappe stores them; one with an offset is converted,
	one without is taken as the site's own time."""
	try:
		value = get_datetime(payload.get(name))
	except Exception:
		value = None
	if value is None:
		raise InvalidInput(f"{name} must be a date and time, got {payload.get(name)!r}")
	return convert_utc_to_system_timezone(value).replace(tzinfo=None) if value.tzinfo else value


def text(value: object, name: str) -> str:
	if not isinstance(value, str) or not value.strip():
		raise InvalidInput(f"{name} must be given")
	return value.strip()


def whole(value: object, name: str) -> int:
	if not isinstance(value, int) or isinstance(value, bool) or value < 1:
		raise InvalidInput(f"{name} must be a whole number of 1 or more, got {value!r}")
	return value


def optional_number(value: object, name: str) -> float | None:
	return None if value is None else load_test.finite(value, name)


def kind_row(kind: str, row: dict, judged: dict) -> dict:
	return {
		"kind": kind,
		**{key: row[key] for key in ("requests", "failures", "requests_per_s", "p50_ms", "p95_ms", "p99_ms")},
		"threshold_ms": judged["threshold_ms"],
		"sla": judged["sla"] or "",
		"reason": judged["reason"],
	}


def bench_workers(given_web_workers: object) -> dict:
	"""Web workers as the run says (it knows what served it) or as the bench is configured; live RQ
	workers per queue now. A part that cannot be read stays empty, the rest is recorded."""
	settings = bridge.connection_settings()
	found: dict = {"web_workers": None, "web_workers_source": None}
	if given_web_workers is not None:
		found.update(web_workers=whole(given_web_workers, "web_workers"), web_workers_source=GIVEN_BY_RUN)
	else:
		configured = run_check(
			"bench config", lambda: bench_config(settings.bench_path).get("gunicorn_workers")
		)
		if configured.ok and configured.data:
			found.update(web_workers=int(configured.data), web_workers_source=FROM_BENCH_CONFIG)
	live = run_check(
		"live RQ workers",
		lambda: bench_comparison.live_workers_per_queue(bridge.queue_redis(), settings.queue_names),
	)
	if live.ok:
		found.update(
			{
				f"rq_workers_{queue}": count
				for queue, count in live.data.items()
				if queue in ("default", "short", "long")
			}
		)
	return found


def sustainable(summary: dict, sla_verdict: str, web_workers: int | None) -> dict:
	"""The calibration the run gives, or why it gives none."""
	total = summary["total"]
	try:
		rate = calibration.sustainable_requests_per_worker_per_min(
			total["requests"], total["failures"], summary["duration_s"], sla_verdict, web_workers
		)
	except InvalidInput as exc:
		return {"sustainable_requests_per_worker_per_min": None, "calibration_note": str(exc)}
	return {
		"sustainable_requests_per_worker_per_min": rate,
		"calibration_note": f"{rate:g} requests per web worker per minute with every p95 within its threshold",
	}
