"""Capacity and threshold methods: size a bench without a record, check one measured value."""

import frappe

from perf_engine import bridge
from perf_engine.core import thresholds
from perf_engine.core.capacity import DEFAULT_MEMORY_PER_WORKER_MB, CapacityInputs, host_resources
from perf_engine.perf_engine.doctype.capacity_model.capacity_model import build_report
from perf_engine.perf_engine.doctype.performance_threshold.performance_threshold import load_thresholds


@frappe.whitelist()
@bridge.core_errors()
def calculate_capacity(
	concurrent_users: float,
	transactions_per_user_per_hour: float,
	avg_records_per_query: float = 20,
	peak_multiplier: float = 2,
	mix_light: float = 60,
	mix_medium: float = 25,
	mix_heavy: float = 10,
	mix_batch: float = 5,
	host_cpu_cores: float | None = None,
	host_memory_gb: float | None = None,
	memory_per_worker_mb: float = DEFAULT_MEMORY_PER_WORKER_MB,
) -> dict:
	"""The reference model, the recommendation, the measured model and the bench comparison, unsaved."""
	bridge.require_manager()
	host = host_resources()
	inputs = CapacityInputs(
		concurrent_users=concurrent_users,
		transactions_per_user_per_hour=transactions_per_user_per_hour,
		avg_records_per_query=avg_records_per_query,
		peak_multiplier=peak_multiplier,
		mix_light=mix_light,
		mix_medium=mix_medium,
		mix_heavy=mix_heavy,
		mix_batch=mix_batch,
		host_cpu_cores=host["host_cpu_cores"] if host_cpu_cores is None else host_cpu_cores,
		host_memory_gb=host["host_memory_gb"] if host_memory_gb is None else host_memory_gb,
		memory_per_worker_mb=memory_per_worker_mb,
	)
	return build_report(inputs)


@frappe.whitelist()
@bridge.core_errors()
def check_threshold(operation_type: str, value: float) -> dict:
	"""Whether a measured value breaks its Performance Threshold, and how badly."""
	bridge.require_manager()
	return thresholds.check(load_thresholds(), operation_type, value)


@frappe.whitelist()
@bridge.core_errors()
def get_host_resources() -> dict:
	"""This server's cores and memory, to prefill a new Capacity Model."""
	bridge.require_manager()
	return host_resources()
