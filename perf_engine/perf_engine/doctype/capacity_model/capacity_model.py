# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document
from frappe.utils import now_datetime

from perf_engine.core import bench_comparison
from perf_engine.core.capacity import LIMITS, CapacityInputs, host_resources
from perf_engine.services import bridge, capacity

INPUT_FIELDS = (*LIMITS, "mix_light", "mix_medium", "mix_heavy", "mix_batch")


class CapacityModel(Document):
	"""Stores one load scenario; every output is recomputed from the inputs on save."""

	def before_validate(self) -> None:
		host = host_resources()
		self.host_cpu_cores = self.host_cpu_cores or host["host_cpu_cores"]
		self.host_memory_gb = self.host_memory_gb or host["host_memory_gb"]

	def validate(self) -> None:
		with bridge.core_errors():
			inputs = CapacityInputs(**{f: float(self.get(f) or 0) for f in INPUT_FIELDS})
		self.set_outputs(capacity.report(inputs))

	def set_outputs(self, report: dict) -> None:
		reference = report["reference"]
		self.recommended_gunicorn_workers = reference["web"]["recommended_gunicorn_workers"]
		self.minimum_gunicorn_workers = reference["web"]["minimum_gunicorn_workers"]
		self.host_gunicorn_workers = reference["host_gunicorn"]["workers"]
		self.background_default_workers = reference["background"]["default"]
		self.background_short_workers = reference["background"]["short"]
		self.background_long_workers = reference["background"]["long"]
		self.recommended_db_pool = reference["db_connections"]["recommended_pool"]
		self.measured_gunicorn_workers = report["measured"].get("gunicorn_workers")
		self.verdict = bench_comparison.summary(report["comparison"].get("rows"))
		self.computed_at = now_datetime()
		self.result_json = frappe.as_json(report)
