"""Calibration: what a load test says one gunicorn worker sustains, and the model built on it.

The rule: a run whose every judged kind kept its p95 within its Performance Threshold (SLA
"Pass") served its HTTP requests per minute with the web workers it had, so each worker
sustains (total requests per minute) / (web workers) while answering in time. A failed run
measured an overload, not a capacity, and calibrates nothing. The measured figure is a lower
bound: the run sent what it was asked to, not more. A capacity search whose knee it confirmed
(the SLA broke one step above, and held again at the knee) measured the capacity itself: its
knee's requests per web worker per minute calibrate as measured capacity; a knee it did not
confirm (stopped by a limit or Ctrl-C first) is a lower bound too.
"""

from collections.abc import Mapping

from perf_engine.core.capacity.model import (
	ASSUMED_RATES,
	CapacityInputs,
	WorkerRates,
	calibrated_rates,
	web_workers,
)
from perf_engine.core.errors import InvalidInput
from perf_engine.core.load.rules import PASS, SECONDS_PER_MINUTE
from perf_engine.core.load.search import per_worker_per_min

LOWER_BOUND = "Lower bound"
MEASURED_CAPACITY = "Measured capacity"
# Fewer requests than this say more about chance than about the bench.
MIN_REQUESTS_TO_CALIBRATE = 50


def sustainable_requests_per_worker_per_min(
	total_requests: int, failures: int, duration_s: float, sla_verdict: str, web_workers_during_run: int
) -> float:
	"""Requests per minute one web worker served in a run that kept its SLA; refuses any other run."""
	if sla_verdict != PASS:
		raise InvalidInput("Only a run that passed its SLA calibrates the model: this one failed it")
	if not web_workers_during_run or web_workers_during_run < 1:
		raise InvalidInput("The run does not say how many web workers served it: it cannot calibrate")
	if duration_s <= 0:
		raise InvalidInput(f"The run lasted {duration_s:g} s: it cannot calibrate")
	if total_requests < MIN_REQUESTS_TO_CALIBRATE:
		raise InvalidInput(
			f"The run served {total_requests} requests, fewer than the {MIN_REQUESTS_TO_CALIBRATE} "
			"a calibration needs"
		)
	served = total_requests - failures
	return round(served / duration_s * SECONDS_PER_MINUTE / web_workers_during_run, 2)


def capacity_kind(knee: Mapping) -> str:
	"""What a capacity search's knee calibrates as: measured capacity once confirmed, else a lower bound."""
	return MEASURED_CAPACITY if knee.get("measured") else LOWER_BOUND


def knee_requests_per_worker_per_min(knee: Mapping, web_workers_during_run: int | None) -> float:
	"""The knee's requests per web worker per minute; refuses a search that found no knee."""
	if knee.get("requests_per_s") is None:
		raise InvalidInput("The capacity search found no rate that kept the SLA: it cannot calibrate")
	if not web_workers_during_run or web_workers_during_run < 1:
		raise InvalidInput("The run does not say how many web workers served it: it cannot calibrate")
	return per_worker_per_min(knee["requests_per_s"], web_workers_during_run)


def rates_from_run(run_name: str, requests_per_worker_per_min: float | None) -> WorkerRates:
	"""The rates a stored calibration gives, or the assumed ones when there is none."""
	if not run_name or not requests_per_worker_per_min:
		return ASSUMED_RATES
	return calibrated_rates(requests_per_worker_per_min, run_name)
