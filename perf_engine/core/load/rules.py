"""The rules of a load test against a Frappe site: what traffic to send and how to judge it.

Measures nothing itself. Shapes the traffic from a capacity model's transaction mix
(light, medium, heavy, batch) into request kinds (list views, form loads, a report, REST
calls, saves), sets the request rate from the model's peak, sums up what the load
generator recorded per kind (count, failures, p50/p95/p99 by nearest rank over its
response-time histogram, requests per second), and gives each kind and the run an SLA
verdict against the Performance Thresholds.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass

from perf_engine.core.capacity.model import MIX_FIELDS
from perf_engine.core.errors import InvalidInput
from perf_engine.core.latency.percentiles import nearest_rank
from perf_engine.core.latency.thresholds import SECONDS_TO, Threshold

LIST_VIEW = "list_view"
FORM_LOAD = "form_load"
REPORT = "report"
API_CALL = "api_call"
SAVE = "save"
# The clean-up of each save and the login are measured too, but not part of the mix.
DELETE = "delete"
LOGIN = "login"
MIX_KINDS = (LIST_VIEW, FORM_LOAD, REPORT, API_CALL, SAVE)
KINDS = (*MIX_KINDS, DELETE, LOGIN)

# How each class of the capacity model's mix spends its requests: light users browse lists and
# call the REST API, medium users open and edit forms, heavy users run reports, batch work writes.
KINDS_PER_MIX_CLASS = {
	"mix_light": {LIST_VIEW: 0.5, API_CALL: 0.5},
	"mix_medium": {FORM_LOAD: 0.7, SAVE: 0.3},
	"mix_heavy": {REPORT: 1.0},
	"mix_batch": {SAVE: 1.0},
}

# The Performance Threshold each kind is judged by, at the percentile the threshold names.
THRESHOLD_OF_KIND = {
	LIST_VIEW: "list_view_load",
	FORM_LOAD: "form_load",
	REPORT: "report_generation",
	API_CALL: "api_response_p95",
	SAVE: "api_response_p95",
	DELETE: "api_response_p95",
}
# Every ToDo a load test saves carries this at the start of its description, to find leftovers.
TODO_MARKER = "perf-engine load test"
JUDGED_PERCENTILE = 95
PERCENTILES = (50, 95, 99)
# A run where more than this share of a kind's requests failed cannot pass, however fast.
MAX_FAILURE_RATIO = 0.01
PASS = "Pass"
FAIL = "Fail"
SECONDS_PER_MINUTE = 60
MS_PER_S = 1000
DEFAULT_PEAK_MULTIPLIER = 2.0
MAX_USERS = 100_000
MAX_DURATION_S = 24 * 3600


def kind_weights(mix: Mapping[str, float]) -> dict[str, float]:
	"""Share of requests per kind (summing to 1) from mix percentages keyed mix_light... mix_batch."""
	missing = [name for name in MIX_FIELDS if name not in mix]
	if missing:
		raise InvalidInput(f"The transaction mix lacks {', '.join(missing)}")
	total = 0.0
	for name in MIX_FIELDS:
		share = mix[name]
		if (
			not isinstance(share, int | float)
			or isinstance(share, bool)
			or not math.isfinite(share)
			or share < 0
		):
			raise InvalidInput(f"{name} must be a share of 0 or more, got {share!r}")
		total += share
	if total <= 0:
		raise InvalidInput("The transaction mix is all zero: there is no traffic to send")
	weights = dict.fromkeys(MIX_KINDS, 0.0)
	for name in MIX_FIELDS:
		for kind, part in KINDS_PER_MIX_CLASS[name].items():
			weights[kind] += mix[name] / total * part
	return weights


def target_rate_per_s(peak_requests_per_min: float, multiplier: float) -> float:
	"""Requests per second the run aims at: the model's peak times the multiplier."""
	if not math.isfinite(multiplier) or multiplier <= 0:
		raise InvalidInput(f"The peak multiplier must be above 0, got {multiplier:g}")
	return peak_requests_per_min * multiplier / SECONDS_PER_MINUTE


def check_shape(users: int, spawn_rate: float, duration_s: float) -> None:
	"""Refuse a run that cannot start or would never end."""
	if not 1 <= users <= MAX_USERS:
		raise InvalidInput(f"--users must be between 1 and {MAX_USERS:,}, got {users}")
	if not math.isfinite(spawn_rate) or spawn_rate <= 0:
		raise InvalidInput(f"--spawn-rate must be above 0 users per second, got {spawn_rate:g}")
	if not math.isfinite(duration_s) or not 1 <= duration_s <= MAX_DURATION_S:
		raise InvalidInput(f"--duration must be between 1 s and {MAX_DURATION_S} s, got {duration_s:g}")


def histogram_percentile(histogram: Mapping[float, int], pct: float) -> float:
	"""Nearest-rank percentile over {value: count}: the smallest value with pct % at or below it."""
	rank = nearest_rank(pct, sum(histogram.values()))
	seen = 0
	for value in sorted(histogram):
		seen += histogram[value]
		if seen >= rank:
			return value
	raise AssertionError("unreachable: the ranks add up to the total")


@dataclass(frozen=True)
class KindRecord:
	"""What the load generator recorded for one kind: response times (ms) as {ms: count}, failed
	requests among them."""

	kind: str
	histogram: Mapping[float, int]
	failures: int = 0

	@property
	def requests(self) -> int:
		return sum(self.histogram.values())


def summarise(records: Mapping[str, KindRecord], duration_s: float) -> dict:
	"""Per kind and in total: requests, failures, requests per second and p50/p95/p99 in ms."""
	if duration_s <= 0:
		raise InvalidInput(f"A run lasts more than 0 s, got {duration_s:g}")
	kinds = {}
	merged: dict[float, int] = {}
	for kind, record in records.items():
		if kind not in KINDS:
			raise InvalidInput(f"Unknown request kind {kind!r}; known: {', '.join(KINDS)}")
		kinds[kind] = figures(record.histogram, record.failures, duration_s)
		for value, count in record.histogram.items():
			merged[value] = merged.get(value, 0) + count
	failures = sum(record.failures for record in records.values())
	return {"kinds": kinds, "total": figures(merged, failures, duration_s), "duration_s": duration_s}


def figures(histogram: Mapping[float, int], failures: int, duration_s: float) -> dict:
	"""One row of the summary; percentiles are None when nothing was timed."""
	requests = sum(histogram.values())
	row = {
		"requests": requests,
		"failures": failures,
		"requests_per_s": round(requests / duration_s, 3),
	}
	for pct in PERCENTILES:
		row[f"p{pct}_ms"] = histogram_percentile(histogram, pct) if requests else None
	return row


def judge_kind(kind: str, row: Mapping, thresholds: Mapping[str, Threshold]) -> dict:
	"""Pass or Fail for one kind: p95 within its threshold and failures within MAX_FAILURE_RATIO.

	A kind without a threshold (login), or whose threshold is disabled, is not judged (None)."""
	threshold = thresholds.get(THRESHOLD_OF_KIND.get(kind, ""))
	judged = {"kind": kind, "threshold_ms": None, "sla": None, "reason": "no threshold applies"}
	if threshold is None or not threshold.enabled or threshold.unit not in SECONDS_TO:
		return judged
	limit_ms = threshold.value * MS_PER_S / SECONDS_TO[threshold.unit]
	judged["threshold_ms"] = limit_ms
	# As locust counts them, failed requests are among the requests (and timed).
	requests, failures = row["requests"], row["failures"]
	if requests == 0:
		return {**judged, "sla": FAIL, "reason": "no request of this kind was sent"}
	if failures > MAX_FAILURE_RATIO * requests:
		return {**judged, "sla": FAIL, "reason": f"{failures} of {requests} requests failed"}
	p95 = row[f"p{JUDGED_PERCENTILE}_ms"]
	if p95 > limit_ms:
		return {**judged, "sla": FAIL, "reason": f"p95 {p95:g} ms is above {limit_ms:g} ms"}
	return {**judged, "sla": PASS, "reason": f"p95 {p95:g} ms is within {limit_ms:g} ms"}


def verdict(summary: Mapping, thresholds: Mapping[str, Threshold]) -> dict:
	"""Each kind's SLA and the run's: Pass only when every judged kind passes (and one was judged)."""
	kinds = {kind: judge_kind(kind, row, thresholds) for kind, row in summary["kinds"].items()}
	judged = [k for k in kinds.values() if k["sla"] is not None]
	passed = bool(judged) and all(k["sla"] == PASS for k in judged)
	return {"kinds": kinds, "sla_verdict": PASS if passed else FAIL}


def read_summary(figures: object) -> dict:
	"""A summary sent over REST, checked field by field: known kinds, counts and times that make sense."""
	if not isinstance(figures, Mapping) or not isinstance(figures.get("kinds"), Mapping):
		raise InvalidInput("figures must be an object with 'kinds', as `perf-engine load --json` prints")
	duration_s = finite(figures.get("duration_s"), "figures.duration_s")
	if duration_s <= 0:
		raise InvalidInput(f"figures.duration_s must be above 0, got {duration_s:g}")
	kinds = {}
	for kind, row in figures["kinds"].items():
		if kind not in KINDS:
			raise InvalidInput(f"Unknown request kind {kind!r}; known: {', '.join(KINDS)}")
		kinds[kind] = read_row(row, kind)
	if not kinds:
		raise InvalidInput("figures.kinds is empty: the run recorded no request")
	return {"kinds": kinds, "total": read_row(figures.get("total"), "total"), "duration_s": duration_s}


def read_row(row: object, where: str) -> dict:
	"""One kind's figures: whole non-negative counts, failures among the requests, p50 <= p95 <= p99."""
	if not isinstance(row, Mapping):
		raise InvalidInput(f"figures for {where} must be an object")
	counts = {}
	for name in ("requests", "failures"):
		value = row.get(name)
		if not isinstance(value, int) or isinstance(value, bool) or value < 0:
			raise InvalidInput(f"{where}.{name} must be a whole number of 0 or more, got {value!r}")
		counts[name] = value
	if counts["failures"] > counts["requests"]:
		raise InvalidInput(f"{where} has more failures than requests")
	times = {}
	for pct in PERCENTILES:
		value = row.get(f"p{pct}_ms")
		times[f"p{pct}_ms"] = (
			None if value is None and not counts["requests"] else finite(value, f"{where}.p{pct}_ms")
		)
	present = [times[f"p{pct}_ms"] for pct in PERCENTILES if times[f"p{pct}_ms"] is not None]
	if any(value < 0 for value in present) or present != sorted(present):
		raise InvalidInput(f"{where} percentiles must be 0 or more and rise from p50 to p99")
	rate = finite(row.get("requests_per_s"), f"{where}.requests_per_s")
	return {**counts, "requests_per_s": rate, **times}


def finite(value: object, name: str) -> float:
	if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
		raise InvalidInput(f"{name} must be a number, got {value!r}")
	return float(value)
