"""Thresholds: defaults, single checks, percentiles and evaluation of measurements."""

import pytest

from perf_engine.core.errors import InvalidInput
from perf_engine.core.latency.monitor import MonitorWindow, Transaction
from perf_engine.core.latency.thresholds import (
	CRITICAL,
	DEFAULT_THRESHOLDS,
	WARNING,
	Threshold,
	check,
	evaluate,
	measurements,
	percentile,
)

DEFAULTS = {t.operation_type: t for t in DEFAULT_THRESHOLDS}


def test_defaults_are_the_documented_thirteen():
	"""The seeded thresholds are exactly the thirteen documented values and units."""
	assert {(t.operation_type, t.value, t.unit) for t in DEFAULT_THRESHOLDS} == {
		("api_response_p95", 500, "ms"),
		("api_response_p99", 1000, "ms"),
		("list_view_load", 2000, "ms"),
		("form_load", 1500, "ms"),
		("report_generation", 30000, "ms"),
		("single_query", 100, "ms"),
		("batch_query", 500, "ms"),
		("count_query", 50, "ms"),
		("job_completion", 300, "s"),
		("job_timeout", 3600, "s"),
		("job_queue_wait", 30, "s"),
		("request_memory", 256, "MB"),
		("background_job_memory", 512, "MB"),
	}


@pytest.mark.parametrize(
	("actual", "violation", "severity"),
	[
		(499, False, None),
		(500, False, None),
		(500.1, True, WARNING),
		(1000, True, WARNING),
		(1000.1, True, CRITICAL),
	],
)
def test_severity_bands(actual, violation, severity):
	"""Above the threshold is a WARNING, above twice it CRITICAL; at the threshold is fine."""
	result = check(DEFAULTS, "api_response_p95", actual)
	assert (result["violation"], result["severity"], result["threshold"], result["actual"]) == (
		violation,
		severity,
		500,
		actual,
	)


def test_unknown_and_disabled_types_say_so():
	"""An unknown type is an error naming the known ones; a disabled one reports it checked nothing."""
	with pytest.raises(InvalidInput, match=r"Unknown operation type 'api_p50'.*api_response_p95"):
		check(DEFAULTS, "api_p50", 10)
	disabled = {"form_load": Threshold("form_load", 1500, "ms", enabled=False)}
	result = check(disabled, "form_load", 99_999)
	assert result["violation"] is False and "disabled" in result["message"]
	with pytest.raises(InvalidInput, match="must be a number"):
		check(DEFAULTS, "form_load", "slow")


def test_nearest_rank_percentile():
	"""p95 of 1..100 is 95 and p99 is 99; a single value is its own percentile."""
	values = list(range(1, 101))
	assert (percentile(values, 95), percentile(values, 99), percentile([7], 99)) == (95, 99, 7)
	shuffled = [float(v) for v in range(1000, 0, -1)]
	assert (percentile(shuffled, 50), percentile(shuffled, 100), percentile(shuffled, 0.01)) == (500, 1000, 1)


def test_evaluation_reports_violations_and_what_had_no_data():
	"""Slow requests violate the p95/p99 thresholds in ms; thresholds with no measurement are listed, not passed."""
	from datetime import datetime, timezone

	at = datetime.now(timezone.utc)
	slow = [Transaction("request", "/app", at, 0.2) for _ in range(90)] + [
		Transaction("request", "/app", at, 2.5) for _ in range(10)
	]
	window = MonitorWindow.of(slow, since=at)
	measured = measurements(window, {"request_memory": 300.0, "background_job_memory": None})
	report = evaluate(DEFAULTS, measured)
	by_type = {c["operation_type"]: c for c in report["checks"]}
	assert (
		by_type["api_response_p95"]["actual"] == 2500 and by_type["api_response_p95"]["severity"] == CRITICAL
	)
	assert by_type["api_response_p99"]["severity"] == CRITICAL
	assert by_type["request_memory"]["severity"] == WARNING
	assert by_type["api_response_p95"]["samples"] == 100
	assert "job_completion" in report["unmeasured"] and "background_job_memory" in report["unmeasured"]
	empty = evaluate(DEFAULTS, measurements(MonitorWindow(since=at), {}))
	assert empty["checks"] == [] and len(empty["unmeasured"]) == len(DEFAULT_THRESHOLDS)
