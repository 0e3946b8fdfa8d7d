"""Load test methods: record a run from `perf-engine load`, apply the calibration it gives, and the
command that searches a Capacity Model's capacity."""

import json

import frappe

from perf_engine.core.errors import InvalidInput
from perf_engine.services import bridge, calibration, capacity_search, load_test


@frappe.whitelist(methods=["POST"])
@bridge.core_errors()
def record_load_test_run(run: str | dict) -> dict:
	"""Record a load test's figures as a Load Test Run, judged against this site's thresholds."""
	bridge.require_manager()
	frappe.has_permission(load_test.DOCTYPE, "create", throw=True)
	if isinstance(run, str):
		try:
			run = json.loads(run)
		except ValueError:
			raise InvalidInput("run must be the JSON object `perf-engine load` sends")
	if not isinstance(run, dict):
		raise InvalidInput("run must be a JSON object")
	return load_test.record(run)


@frappe.whitelist(methods=["POST"])
@bridge.core_errors()
def apply_calibration(load_test_run: str) -> dict:
	"""Use this run's measured requests per worker per minute in place of the assumed rate."""
	bridge.require_manager()
	return calibration.apply(load_test_run)


@frappe.whitelist(methods=["GET"])
@bridge.core_errors()
def find_capacity_command(capacity_model: str) -> dict:
	"""The `perf-engine load --find-capacity` command for this model; the load runs outside the bench."""
	bridge.require_manager()
	frappe.has_permission(load_test.CAPACITY_MODEL, "read", capacity_model, throw=True)
	return capacity_search.command(capacity_model)
