"""The site's calibration: which Load Test Run's measured rate the Capacity Models use.

Stored on the runs themselves: applying one marks it (and unmarks the one before of the same
kind), so the site has at most one lower bound (a passing run, or a search stopped before it
confirmed its knee) and one measured capacity (a confirmed capacity search) applied; the
recommendation uses the measured capacity when there is one. The rule that says what a run
may calibrate, and as what, is core.load.calibration's.
"""

import frappe
from frappe.utils import now_datetime

from perf_engine.core.capacity.model import CapacityInputs, WorkerRates, web_workers
from perf_engine.core.errors import InvalidInput
from perf_engine.core.load import calibration
from perf_engine.services.load_test import CAPACITY_MODEL, DOCTYPE


def current_rates() -> WorkerRates:
	"""The per-worker rates of the calibration in use (measured capacity before a lower bound), or the
	assumed ones."""
	applied = applied_by_kind()
	run = applied.get(calibration.MEASURED_CAPACITY) or applied.get(calibration.LOWER_BOUND)
	if not run:
		return calibration.rates_from_run("", None)
	return calibration.rates_from_run(run.name, run.sustainable_requests_per_worker_per_min)


def applied_by_kind() -> dict:
	"""The applied run of each kind ({kind: row}); runs recorded before searches existed are lower bounds."""
	applied = {}
	for run in frappe.get_all(
		DOCTYPE,
		filters={"calibration_applied": 1},
		fields=["name", "sustainable_requests_per_worker_per_min", "capacity_kind"],
		order_by="calibration_applied_at desc",
	):
		applied.setdefault(run.capacity_kind or calibration.LOWER_BOUND, run)
	return applied


def apply(run_name: str) -> dict:
	"""Make this run's measured rate the site's, and recompute the Capacity Model it ran against."""
	if not frappe.db.exists(DOCTYPE, run_name):
		raise InvalidInput(f"Load Test Run {run_name!r} does not exist")
	run = frappe.get_doc(DOCTYPE, run_name)
	rate = measured_rate(run)
	kind = run.capacity_kind or calibration.LOWER_BOUND
	for previous in frappe.get_all(
		DOCTYPE,
		filters={"calibration_applied": 1, "name": ["!=", run_name]},
		fields=["name", "capacity_kind"],
	):
		if (previous.capacity_kind or calibration.LOWER_BOUND) == kind:
			frappe.db.set_value(DOCTYPE, previous.name, "calibration_applied", 0)
	run.db_set(
		{
			"sustainable_requests_per_worker_per_min": rate,
			"calibration_applied": 1,
			"calibration_applied_at": now_datetime(),
		}
	)
	recomputed = None
	if run.capacity_model and frappe.db.exists(CAPACITY_MODEL, run.capacity_model):
		model = frappe.get_doc(CAPACITY_MODEL, run.capacity_model)
		model.save()
		recomputed = model.name
	return {
		"load_test_run": run_name,
		"requests_per_worker_per_min": rate,
		"capacity_kind": kind,
		"capacity_model": recomputed,
	}


def measured_rate(run) -> float:
	"""Requests per web worker per minute the run calibrates with: a search's knee, else its whole run."""
	if run.is_capacity_search:
		knee = frappe.parse_json(run.search_json or "{}").get("knee") or {}
		return calibration.knee_requests_per_worker_per_min(knee, run.web_workers)
	return calibration.sustainable_requests_per_worker_per_min(
		run.total_requests, run.total_failures, run.duration_s, run.sla_verdict, run.web_workers
	)


def workers_by_kind(inputs: CapacityInputs) -> dict:
	"""Recommended web workers at each applied calibration's rate ({kind: {run, rate, workers}})."""
	found = {}
	for kind, run in applied_by_kind().items():
		rates = calibration.rates_from_run(run.name, run.sustainable_requests_per_worker_per_min)
		found[kind] = {
			"run": run.name,
			"requests_per_worker_per_min": run.sustainable_requests_per_worker_per_min,
			"recommended_gunicorn_workers": int(web_workers(inputs, rates)["recommended_gunicorn_workers"]),
		}
	return found
