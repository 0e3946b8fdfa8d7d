# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document
from frappe.utils import now_datetime

from perf_engine.core.capacity import bench_comparison
from perf_engine.core.capacity.model import LIMITS, CapacityInputs, host_resources
from perf_engine.core.load.calibration import LOWER_BOUND, MEASURED_CAPACITY
from perf_engine.services import bridge, calibration, capacity

INPUT_FIELDS = (*LIMITS, "mix_light", "mix_medium", "mix_heavy", "mix_batch")


class CapacityModel(Document):
	"""Stores one load scenario; every output is recomputed from the inputs on save."""

	def before_validate(self) -> None:
		"""Empty host figures plan for this server; a 0 typed in is kept, and refused by validate."""
		host = host_resources()
		for fieldname in ("host_cpu_cores", "host_memory_gb"):
			if self.get(fieldname) is None:
				self.set(fieldname, host[fieldname])

	def validate(self) -> None:
		with bridge.core_errors():
			inputs = CapacityInputs(**{f: float(self.get(f) or 0) for f in INPUT_FIELDS})
		report = capacity.report(inputs)
		report["calibration"]["by_kind"] = calibration.workers_by_kind(inputs)
		self.set_outputs(report)

	def set_outputs(self, report: dict) -> None:
		"""The recommendation a person acts on; the formulas' own figures stay in result_json."""
		advice = report["recommendation"]
		self.recommended_gunicorn_workers = advice["gunicorn_workers"]["recommended"]
		self.minimum_gunicorn_workers = advice["gunicorn_workers"]["minimum"]
		self.host_gunicorn_workers = report["reference"]["host_gunicorn"]["workers"]
		self.background_default_workers = advice["background"]["default"]
		self.background_short_workers = advice["background"]["short"]
		self.background_long_workers = advice["background"]["long"]
		self.recommended_db_pool = advice["db_pool"]["recommended"]
		self.sizing = "\n".join([advice["verdict"], *advice["floors"], *advice["notes"]])
		self.measured_gunicorn_workers = report["measured"].get("gunicorn_workers")
		self.verdict = bench_comparison.summary(report["comparison"].get("rows"))
		calibrated = report["calibration"]
		self.calibration_run = calibrated["calibration"]
		self.api_calls_per_worker_per_min = calibrated["rates"]["api_calls_per_worker_per_min"]
		self.predicted_gunicorn_workers = int(calibrated["predicted"]["recommended_gunicorn_workers"])
		self.calibrated_gunicorn_workers = (
			int(calibrated["measured"]["recommended_gunicorn_workers"]) if calibrated["measured"] else None
		)
		by_kind = calibrated["by_kind"]
		lower, measured = by_kind.get(LOWER_BOUND) or {}, by_kind.get(MEASURED_CAPACITY) or {}
		self.lower_bound_gunicorn_workers = lower.get("recommended_gunicorn_workers")
		self.measured_capacity_gunicorn_workers = measured.get("recommended_gunicorn_workers")
		self.capacity_search_run = measured.get("run")
		self.computed_at = now_datetime()
		self.result_json = frappe.as_json(report)
