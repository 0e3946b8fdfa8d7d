"""`perf-engine load --find-capacity`: the options, the site's thresholds and the knee of what was held.

The search itself runs in the load generator (core.load.search decides each next step there);
this module adds its limits and the site's Performance Thresholds to the plan before the run,
and afterwards reads the curve and the knee off the steps with the same core rules.
"""

import argparse
import json
import urllib.parse
from dataclasses import asdict, fields

from perf_engine.cli.site_client import SiteClient
from perf_engine.core.errors import PerfEngineError
from perf_engine.core.latency.thresholds import DEFAULT_THRESHOLDS, Threshold
from perf_engine.core.load import rules as load_test
from perf_engine.core.load import search

THRESHOLD_DOCTYPE = "Performance Threshold"
SITE_THRESHOLDS = "the site's Performance Thresholds"
DEFAULT_SOURCE = "perf_engine's defaults (the site's could not be read: {error})"


def add_options(parser: argparse.ArgumentParser) -> None:
	"""The capacity search's flags, each with its default."""
	limits = search.SearchLimits()
	parser.add_argument(
		"--find-capacity",
		action="store_true",
		help="step an open load's rate up until the SLA breaks, back off, confirm and report the knee",
	)
	parser.add_argument(
		"--start-rate", type=float, default=None, help="first step's requests/s (default: the step rate)"
	)
	parser.add_argument(
		"--step-rate",
		type=float,
		default=limits.step_rate_per_s,
		help=f"requests/s added per step ({limits.step_rate_per_s:g})",
	)
	parser.add_argument(
		"--hold", type=float, default=limits.hold_s, help=f"seconds each step is held ({limits.hold_s:g})"
	)
	parser.add_argument(
		"--max-steps", type=int, default=limits.max_steps, help=f"steps at most ({limits.max_steps})"
	)
	parser.add_argument(
		"--max-time",
		type=float,
		default=limits.max_total_s,
		help=f"seconds the whole search may take ({limits.max_total_s:g})",
	)


def limits_of(args: argparse.Namespace) -> search.SearchLimits:
	"""The search's limits from the flags, checked before anything is sent."""
	start = args.start_rate if args.start_rate is not None else args.step_rate
	return search.SearchLimits(start, args.step_rate, args.hold, args.max_steps, args.max_time)


def site_thresholds(client: SiteClient) -> tuple[list[dict], str]:
	"""The thresholds the site judges by, as the plan carries them; perf_engine's defaults when unreadable."""
	names = [field.name for field in fields(Threshold)]
	query = urllib.parse.urlencode({"fields": json.dumps(names), "limit_page_length": 0})
	try:
		rows = client.request("GET", f"/api/resource/{urllib.parse.quote(THRESHOLD_DOCTYPE)}?{query}")["data"]
		thresholds = [{**row, "enabled": bool(row["enabled"])} for row in rows]
	except (PerfEngineError, KeyError, TypeError) as exc:
		return [asdict(t) for t in DEFAULT_THRESHOLDS], DEFAULT_SOURCE.format(error=exc)
	return thresholds, SITE_THRESHOLDS


def describe(plan: dict) -> list[str]:
	"""What the search will do, for the plan printed before the run."""
	limits = plan["search"]
	return [
		f"  capacity search: from {limits['start_rate_per_s']:g} requests/s up by {limits['step_rate_per_s']:g} "
		f"every {limits['hold_s']:g} s, at most {limits['max_steps']} steps and {limits['max_total_s']:g} s",
		f"  open model: each user sends one request per {search.USER_INTERVAL_S:g} s, no think time; "
		"Ctrl-C stops and still reports",
	]


def steps_of(recorded: dict, thresholds: dict[str, Threshold]) -> list[search.Step]:
	"""The steps the generator held, judged again here by the same rule it decided with."""
	return [
		search.held(step["offered_rate_per_s"], step["summary"], thresholds) for step in recorded["steps"]
	]


def judge(plan: dict, recorded: dict) -> dict:
	"""The curve, the knee, and the knee step's figures and verdict (the step that broke when none kept it)."""
	thresholds = {row["operation_type"]: Threshold(**row) for row in plan["thresholds"]}
	steps = steps_of(recorded, thresholds)
	knee = search.knee(steps, recorded["stopped_by"], plan["web_workers"])
	shown = search.knee_step(steps) or (steps[-1] if steps else None)
	public_plan = {key: value for key, value in plan.items() if key not in ("password", "authorization")}
	result = {
		"plan": public_plan,
		"started_at": recorded["started_at"],
		"ended_at": recorded["ended_at"],
		"knee": knee,
		"steps": [
			{"step": n, "users": held["users"], **search.curve_row(step)}
			for n, (held, step) in enumerate(zip(recorded["steps"], steps, strict=True), start=1)
		],
		"errors": recorded["errors"],
		"search": {
			"steps": recorded["steps"],
			"stopped_by": recorded["stopped_by"],
			"limits": plan["search"],
		},
	}
	if shown is None:
		return {**result, "figures": None, "verdict": {"kinds": {}, "sla_verdict": load_test.FAIL}}
	verdict = load_test.verdict(shown.summary, thresholds)
	return {**result, "figures": shown.summary, "verdict": {**verdict, "thresholds": plan["thresholds_from"]}}
