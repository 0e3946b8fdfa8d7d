"""The site's calibration: which Load Test Run's measured rate the Capacity Models use.

Stored on the runs themselves: applying one marks it (and unmarks the one before), so the
site has at most one calibration in use and its history is the runs that were applied.
The rule that says what a run may calibrate is core.calibration's.
"""

import frappe
from frappe.utils import now_datetime

from perf_engine.core.capacity.model import WorkerRates
from perf_engine.core.errors import InvalidInput
from perf_engine.core.load import calibration
from perf_engine.services.load_test import CAPACITY_MODEL, DOCTYPE


def current_rates() -> WorkerRates:
	"""The per-worker rates of the calibration in use, or the assumed ones."""
	applied = frappe.get_all(
		DOCTYPE,
		filters={"calibration_applied": 1},
		fields=["name", "sustainable_requests_per_worker_per_min"],
		order_by="calibration_applied_at desc",
		limit=1,
	)
	if not applied:
		return calibration.rates_from_run("", None)
	return calibration.rates_from_run(applied[0].name, applied[0].sustainable_requests_per_worker_per_min)


def apply(run_name: str) -> dict:
	"""Make this run's measured rate the site's, and recompute the Capacity Model it ran against."""
	if not frappe.db.exists(DOCTYPE, run_name):
		raise InvalidInput(f"Load Test Run {run_name!r} does not exist")
	run = frappe.get_doc(DOCTYPE, run_name)
	rate = calibration.sustainable_requests_per_worker_per_min(
		run.total_requests, run.total_failures, run.duration_s, run.sla_verdict, run.web_workers
	)
	for previous in frappe.get_all(
		DOCTYPE, filters={"calibration_applied": 1, "name": ["!=", run_name]}, pluck="name"
	):
		frappe.db.set_value(DOCTYPE, previous, "calibration_applied", 0)
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
	return {"load_test_run": run_name, "requests_per_worker_per_min": rate, "capacity_model": recomputed}
