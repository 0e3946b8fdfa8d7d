"""Capacity and threshold methods: size a bench without a record, check one measured value."""

import frappe

from perf_engine.core.capacity.model import host_resources, inputs_from
from perf_engine.core.latency import thresholds
from perf_engine.perf_engine.doctype.performance_threshold.performance_threshold import load_thresholds
from perf_engine.services import bridge, capacity


@frappe.whitelist()
@bridge.core_errors()
def calculate_capacity(
	concurrent_users: float,
	transactions_per_user_per_hour: float,
	avg_records_per_query: float | None = None,
	peak_multiplier: float | None = None,
	mix_light: float | None = None,
	mix_medium: float | None = None,
	mix_heavy: float | None = None,
	mix_batch: float | None = None,
	host_cpu_cores: float | None = None,
	host_memory_gb: float | None = None,
	memory_per_worker_mb: float | None = None,
) -> dict:
	"""The reference model, the recommendation, the measured model and the bench comparison, unsaved.

	A parameter left out takes `CapacityInputs`' default; the host's size defaults to this server's."""
	bridge.require_manager()
	return capacity.report(
		inputs_from(
			{
				"concurrent_users": concurrent_users,
				"transactions_per_user_per_hour": transactions_per_user_per_hour,
				"avg_records_per_query": avg_records_per_query,
				"peak_multiplier": peak_multiplier,
				"mix_light": mix_light,
				"mix_medium": mix_medium,
				"mix_heavy": mix_heavy,
				"mix_batch": mix_batch,
				"host_cpu_cores": host_cpu_cores,
				"host_memory_gb": host_memory_gb,
				"memory_per_worker_mb": memory_per_worker_mb,
			}
		)
	)


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
