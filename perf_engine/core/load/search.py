"""Capacity search: step an open load's rate up until the SLA breaks, back off, confirm, name the knee.

Measures nothing itself. Judges each step the load generator held (a breach: the first judged
kind whose p95 passed its Performance Threshold, or failures above 1 %), decides the next
step's offered rate or why the search stops (confirmed, lowest rate broke, max steps, max
time), and reads the knee off the curve: the highest offered rate that kept the SLA below every
rate that broke it, with the served rate it gave per second and per web worker per minute.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from perf_engine.core.errors import InvalidInput
from perf_engine.core.latency.thresholds import Threshold
from perf_engine.core.load.rules import (
	JUDGED_PERCENTILE,
	KINDS,
	MAX_FAILURE_RATIO,
	PASS,
	SAVE,
	SECONDS_PER_MINUTE,
	judge_kind,
)

DEFAULT_STEP_RATE_PER_S = 5.0
DEFAULT_HOLD_S = 30.0
DEFAULT_MAX_STEPS = 20
DEFAULT_MAX_TOTAL_S = 15 * 60
# Each simulated user sends one request per this many seconds: far longer than a kept SLA lets a
# request take, so users rarely wait on the server and the rate offered is the one set (open model).
USER_INTERVAL_S = 3.0
# Before a step is measured, its new users start (spread over one interval, so their requests do not
# arrive together) and sign in; that time is held but not judged.
SETTLE_S = USER_INTERVAL_S
# After a step that broke, the users pause this long so the requests queued in the bench are served
# before the lower rate is held: otherwise the confirmation would measure the backlog, not its rate.
DRAIN_S = 2 * USER_INTERVAL_S
MAX_STEPS = 200
MIN_HOLD_S = 2.0

CONFIRMED = "confirmed"
LOWEST_RATE_BROKE = "lowest_rate_broke"
MAX_STEPS_REACHED = "max_steps"
MAX_TIME_REACHED = "max_time"
INTERRUPTED = "interrupted"
STOP_REASONS = {
	CONFIRMED: "the SLA broke, and the rate one step lower kept it again",
	LOWEST_RATE_BROKE: "the SLA broke at the lowest rate: start lower (--start-rate) or use smaller steps",
	MAX_STEPS_REACHED: "the maximum number of steps was reached",
	MAX_TIME_REACHED: "the maximum total time was reached",
	INTERRUPTED: "stopped by the operator",
}
FAILURES = "failures"
NOTHING_SERVED = "requests"


@dataclass(frozen=True)
class SearchLimits:
	"""How the search steps (requests per second) and when it must stop whatever it found."""

	start_rate_per_s: float = DEFAULT_STEP_RATE_PER_S
	step_rate_per_s: float = DEFAULT_STEP_RATE_PER_S
	hold_s: float = DEFAULT_HOLD_S
	max_steps: int = DEFAULT_MAX_STEPS
	max_total_s: float = DEFAULT_MAX_TOTAL_S

	def __post_init__(self) -> None:
		for name in ("step_rate_per_s", "start_rate_per_s"):
			value = getattr(self, name)
			if not math.isfinite(value) or value <= 0:
				raise InvalidInput(f"--{flag(name)} must be above 0 requests per second, got {value:g}")
		if not math.isfinite(self.hold_s) or self.hold_s < MIN_HOLD_S:
			raise InvalidInput(f"--hold must be at least {MIN_HOLD_S:g} s, got {self.hold_s:g}")
		if not 1 <= self.max_steps <= MAX_STEPS:
			raise InvalidInput(f"--max-steps must be between 1 and {MAX_STEPS}, got {self.max_steps}")
		if not math.isfinite(self.max_total_s) or self.max_total_s < self.step_s:
			raise InvalidInput(
				f"--max-time must be at least one step ({self.step_s:g} s with its start), got {self.max_total_s:g}"
			)

	@property
	def step_s(self) -> float:
		"""Seconds one step takes: its users' start, then the hold that is measured."""
		return SETTLE_S + self.hold_s


def flag(name: str) -> str:
	return {"start_rate_per_s": "start-rate", "step_rate_per_s": "step-rate"}[name]


@dataclass(frozen=True)
class Step:
	"""One held rate: what was offered and served (requests/s), the summary per kind, and its breach."""

	offered_rate_per_s: float
	served_rate_per_s: float
	duration_s: float
	summary: Mapping
	breach: Mapping | None = None

	@property
	def kept_sla(self) -> bool:
		return self.breach is None


def users_for(rate_per_s: float, running: int = 0) -> int:
	"""Simulated users that offer the rate, each one request per USER_INTERVAL_S at most. Never fewer than
	are running: a user stopped deletes its ToDos and a new one signs in, requests a step would count."""
	return max(1, running, math.ceil(rate_per_s * USER_INTERVAL_S))


def held(offered_rate_per_s: float, summary: Mapping, thresholds: Mapping[str, Threshold]) -> Step:
	"""A step as the generator held it: served is what completed per second, judged by the thresholds."""
	return Step(
		offered_rate_per_s=offered_rate_per_s,
		served_rate_per_s=summary["total"]["requests_per_s"],
		duration_s=summary["duration_s"],
		summary=summary,
		breach=breach(summary, thresholds),
	)


def task_rate_per_s(rate_per_s: float, weights: Mapping[str, float]) -> float:
	"""Tasks per second that send `rate_per_s` HTTP requests: a save is two (the ToDo and its delete)."""
	return rate_per_s / (1 + weights.get(SAVE, 0.0))


def breach(summary: Mapping, thresholds: Mapping[str, Threshold]) -> dict | None:
	"""Why a step broke the SLA (kind, measure, value, limit), or None when it kept it."""
	if not summary["total"]["requests"]:
		return {
			"kind": "total",
			"measure": NOTHING_SERVED,
			"percentile": None,
			"value": 0,
			"limit": None,
			"text": "no request completed during the step",
		}
	# A kind the step's draw happened not to send has nothing to judge in this step.
	for kind in (k for k in KINDS if summary["kinds"].get(k, {}).get("requests")):
		row = summary["kinds"][kind]
		judged = judge_kind(kind, row, thresholds)
		if judged["sla"] in (None, PASS):
			continue
		if row["failures"] <= MAX_FAILURE_RATIO * row["requests"]:
			measure, value = f"p{JUDGED_PERCENTILE}", row[f"p{JUDGED_PERCENTILE}_ms"]
			return {
				"kind": kind,
				"measure": measure,
				"percentile": JUDGED_PERCENTILE,
				"value": value,
				"limit": judged["threshold_ms"],
				"text": f"{kind} {measure} {value:g} ms above its {judged['threshold_ms']:g} ms threshold",
			}
		return failure_breach(kind, row)
	total = summary["total"]
	if total["failures"] > MAX_FAILURE_RATIO * total["requests"]:
		return failure_breach("total", total)
	return None


def failure_breach(kind: str, row: Mapping) -> dict:
	"""A breach by failed requests: more than MAX_FAILURE_RATIO of them."""
	share = row["failures"] / row["requests"]
	return {
		"kind": kind,
		"measure": FAILURES,
		"percentile": None,
		"value": round(share * 100, 2),
		"limit": MAX_FAILURE_RATIO * 100,
		"text": f"{kind}: {row['failures']} of {row['requests']} requests failed "
		f"(above {MAX_FAILURE_RATIO:.0%})",
	}


def next_rate(
	steps: Sequence[Step], limits: SearchLimits, elapsed_s: float
) -> tuple[float | None, str | None]:
	"""The next step's offered rate, or None and why the search stops."""
	if not steps:
		return limits.start_rate_per_s, None
	broken = [s.offered_rate_per_s for s in steps if not s.kept_sla]
	last = steps[-1]
	if broken and last.kept_sla and last.offered_rate_per_s < min(broken):
		return None, CONFIRMED
	if len(steps) >= limits.max_steps:
		return None, MAX_STEPS_REACHED
	if elapsed_s + step_time_s(steps, limits) > limits.max_total_s:
		return None, MAX_TIME_REACHED
	if not broken:
		return last.offered_rate_per_s + limits.step_rate_per_s, None
	rate = round(min(broken) - limits.step_rate_per_s, 6)
	if rate <= 0:
		return None, LOWEST_RATE_BROKE
	return rate, None


def drains(steps: Sequence[Step]) -> bool:
	"""Whether the next step starts with a pause: the last one broke, so the bench has a backlog."""
	return bool(steps) and not steps[-1].kept_sla


def step_time_s(steps: Sequence[Step], limits: SearchLimits) -> float:
	"""Seconds the next step takes: a pause after a breach, its users' start, its hold."""
	return (DRAIN_S if drains(steps) else 0.0) + limits.step_s


def knee_step(steps: Sequence[Step]) -> Step | None:
	"""The last step at the highest offered rate that kept the SLA below every rate that broke it."""
	broken = [s.offered_rate_per_s for s in steps if not s.kept_sla]
	ceiling = min(broken) if broken else math.inf
	kept = [s for s in steps if s.kept_sla and s.offered_rate_per_s < ceiling]
	if not kept:
		return None
	highest = max(s.offered_rate_per_s for s in kept)
	return [s for s in kept if s.offered_rate_per_s == highest][-1]


def knee(steps: Sequence[Step], stopped_by: str, web_workers: int | None) -> dict:
	"""The knee as reported: the rate served there, per web worker per minute, where and why it broke."""
	found = knee_step(steps)
	first_broken = next((i for i, s in enumerate(steps) if not s.kept_sla), None)
	broke_at = None
	if first_broken is not None:
		step = steps[first_broken]
		broke_at = {
			"step": first_broken + 1,
			"offered_rate_per_s": step.offered_rate_per_s,
			**{key: step.breach[key] for key in ("kind", "measure", "percentile", "value", "limit")},
		}
	served = found.served_rate_per_s if found else None
	return {
		"requests_per_s": served,
		"requests_per_worker_per_min": per_worker_per_min(served, web_workers),
		"offered_rate_per_s": found.offered_rate_per_s if found else None,
		"broke_at": broke_at,
		"reason": steps[first_broken].breach["text"] if broke_at else "the SLA never broke",
		"measured": stopped_by == CONFIRMED and found is not None,
		"stopped_by": stopped_by,
		"stop_reason": STOP_REASONS[stopped_by],
	}


def per_worker_per_min(requests_per_s: float | None, web_workers: int | None) -> float | None:
	if requests_per_s is None or not web_workers:
		return None
	return round(requests_per_s * SECONDS_PER_MINUTE / web_workers, 2)


def curve_row(step: Step) -> dict:
	"""One step of the curve as stored and printed: rates, p50/p95/p99 per kind, failures, breach."""
	total = step.summary["total"]
	return {
		"offered_rate_per_s": step.offered_rate_per_s,
		"served_rate_per_s": step.served_rate_per_s,
		"duration_s": step.duration_s,
		"requests": total["requests"],
		"failures": total["failures"],
		"p50_ms": total["p50_ms"],
		"p95_ms": total["p95_ms"],
		"p99_ms": total["p99_ms"],
		"kinds": {
			kind: {key: row[key] for key in ("requests", "failures", "p50_ms", "p95_ms", "p99_ms")}
			for kind, row in step.summary["kinds"].items()
		},
		"kept_sla": step.kept_sla,
		"breach": step.breach["text"] if step.breach else None,
	}
