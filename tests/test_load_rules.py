"""The load test's pure rules: mix shaping, percentiles over a histogram, the SLA verdict, calibration."""

import pytest

from perf_engine.core.capacity import model as capacity_model
from perf_engine.core.capacity.model import (
	API_CALLS_PER_WORKER_PER_MIN,
	ASSUMED_RATES,
	CapacityInputs,
	calibrated_rates,
	reference_model,
	web_workers,
)
from perf_engine.core.errors import InvalidInput
from perf_engine.core.latency.thresholds import DEFAULT_THRESHOLDS, Threshold, percentile
from perf_engine.core.load import calibration
from perf_engine.core.load import rules as load_test

THRESHOLDS = {t.operation_type: t for t in DEFAULT_THRESHOLDS}
DEFAULT_MIX = {"mix_light": 60, "mix_medium": 25, "mix_heavy": 10, "mix_batch": 5}


def summary_of(kinds: dict[str, dict[float, int]], failures: dict[str, int] | None = None, seconds=10.0):
	records = {
		kind: load_test.KindRecord(kind, histogram, (failures or {}).get(kind, 0))
		for kind, histogram in kinds.items()
	}
	return load_test.summarise(records, seconds)


def test_default_mix_shapes_every_kind_and_sums_to_one():
	"""60/25/10/5 gives list views and REST reads 30 % each, forms 17.5 %, reports 10 %, saves 12.5 %."""
	weights = load_test.kind_weights(DEFAULT_MIX)
	assert weights == pytest.approx(
		{"list_view": 0.3, "api_call": 0.3, "form_load": 0.175, "report": 0.1, "save": 0.125}
	)
	assert sum(weights.values()) == pytest.approx(1)


def test_an_all_heavy_mix_runs_only_reports():
	"""A model of report users sends reports and nothing else."""
	weights = load_test.kind_weights({"mix_light": 0, "mix_medium": 0, "mix_heavy": 100, "mix_batch": 0})
	assert weights["report"] == 1 and sum(weights.values()) == 1


@pytest.mark.parametrize(
	"mix",
	[
		{"mix_light": 0, "mix_medium": 0, "mix_heavy": 0, "mix_batch": 0},
		{"mix_light": -5, "mix_medium": 55, "mix_heavy": 40, "mix_batch": 10},
		{"mix_light": float("nan"), "mix_medium": 0, "mix_heavy": 0, "mix_batch": 100},
		{"mix_light": 100},
	],
)
def test_a_mix_without_traffic_or_with_bad_shares_is_refused(mix):
	"""All zero, negative, NaN or missing shares are refused with a message, never a division by zero."""
	with pytest.raises(InvalidInput):
		load_test.kind_weights(mix)


def test_target_rate_is_the_model_peak_times_the_multiplier():
	"""240 peak requests per minute at 2x is 8 requests per second; a zero multiplier is refused."""
	assert load_test.target_rate_per_s(240, 2) == 8
	with pytest.raises(InvalidInput):
		load_test.target_rate_per_s(240, 0)


def test_histogram_percentile_agrees_with_nearest_rank_over_the_values():
	"""The histogram's p50/p95/p99 equal thresholds.percentile over the same values expanded."""
	histogram = {12.0: 40, 30.0: 30, 110.0: 20, 480.0: 9, 2100.0: 1}
	values = [value for value, count in histogram.items() for _ in range(count)]
	for pct in (1, 50, 90, 95, 99, 100):
		assert load_test.histogram_percentile(histogram, pct) == percentile(values, pct)
	with pytest.raises(InvalidInput):
		load_test.histogram_percentile({}, 95)


def test_summary_counts_rates_and_merges_kinds_into_the_total():
	"""Per kind and total: requests, failures, requests per second and percentiles of the merged times."""
	summary = summary_of({"list_view": {100.0: 8, 300.0: 2}, "report": {900.0: 5}}, {"report": 1})
	assert summary["kinds"]["list_view"] == {
		"requests": 10,
		"failures": 0,
		"requests_per_s": 1.0,
		"p50_ms": 100.0,
		"p95_ms": 300.0,
		"p99_ms": 300.0,
	}
	assert summary["total"]["requests"] == 15 and summary["total"]["failures"] == 1
	assert summary["total"]["p50_ms"] == 100.0 and summary["total"]["p95_ms"] == 900.0


def test_verdict_passes_when_every_judged_kind_keeps_its_p95():
	"""List view within 2000 ms and saves within 500 ms pass; login has no threshold and is not judged."""
	summary = summary_of({"list_view": {400.0: 100}, "save": {200.0: 100}, "login": {5000.0: 3}})
	verdict = load_test.verdict(summary, THRESHOLDS)
	assert verdict["sla_verdict"] == "Pass"
	assert verdict["kinds"]["list_view"]["threshold_ms"] == 2000
	assert verdict["kinds"]["login"]["sla"] is None


def test_verdict_fails_on_a_slow_p95_or_too_many_failures():
	"""A form load p95 over 1500 ms fails; so do 2 failures in 100 saves (over 1 %)."""
	slow = load_test.verdict(summary_of({"form_load": {100.0: 90, 1600.0: 10}}), THRESHOLDS)
	assert slow["sla_verdict"] == "Fail" and "above 1500 ms" in slow["kinds"]["form_load"]["reason"]
	failing = load_test.verdict(summary_of({"save": {50.0: 100}}, {"save": 2}), THRESHOLDS)
	assert failing["sla_verdict"] == "Fail" and failing["kinds"]["save"]["sla"] == "Fail"


def test_thresholds_in_seconds_and_disabled_ones_are_honoured():
	"""A 2 s report threshold judges in ms; a disabled threshold leaves its kind unjudged."""
	thresholds = {
		**THRESHOLDS,
		"report_generation": Threshold("report_generation", 2, "s"),
		"list_view_load": Threshold("list_view_load", 1, "ms", enabled=False),
	}
	verdict = load_test.verdict(summary_of({"report": {1900.0: 10}, "list_view": {999.0: 10}}), thresholds)
	assert verdict["kinds"]["report"]["sla"] == "Pass" and verdict["kinds"]["report"]["threshold_ms"] == 2000
	assert verdict["kinds"]["list_view"]["sla"] is None


def test_a_run_with_nothing_judged_does_not_pass():
	"""Only logins measured: no SLA was shown to hold, so the run is not a pass."""
	assert load_test.verdict(summary_of({"login": {100.0: 4}}), THRESHOLDS)["sla_verdict"] == "Fail"


def test_read_summary_accepts_what_summarise_makes_and_refuses_nonsense():
	"""A summary survives the REST round trip; unknown kinds, failures over requests, falling percentiles do not."""
	summary = summary_of({"list_view": {100.0: 8, 300.0: 2}})
	assert load_test.read_summary(summary) == summary
	broken = [
		{**summary, "kinds": {"browse": summary["kinds"]["list_view"]}},
		{**summary, "kinds": {"list_view": {**summary["kinds"]["list_view"], "failures": 11}}},
		{**summary, "kinds": {"list_view": {**summary["kinds"]["list_view"], "p99_ms": 1.0}}},
		{**summary, "kinds": {"list_view": {**summary["kinds"]["list_view"], "requests": "10"}}},
		{**summary, "duration_s": 0},
		{**summary, "kinds": {}},
		"not an object",
	]
	for figures in broken:
		with pytest.raises(InvalidInput):
			load_test.read_summary(figures)


def test_sustainable_rate_is_served_requests_per_worker_per_minute():
	"""600 requests (6 failed) in 60 s on 2 workers that kept the SLA: 297 per worker per minute."""
	assert calibration.sustainable_requests_per_worker_per_min(600, 6, 60, "Pass", 2) == 297


@pytest.mark.parametrize(
	("requests", "verdict", "workers", "reason"),
	[
		(600, "Fail", 2, "failed"),
		(600, "Pass", None, "web workers"),
		(600, "Pass", 0, "web workers"),
		(10, "Pass", 2, "fewer than"),
	],
)
def test_a_failed_small_or_unsized_run_calibrates_nothing(requests, verdict, workers, reason):
	"""A run that broke its SLA, had no known web workers or too few requests gives no calibration."""
	with pytest.raises(InvalidInput, match=reason):
		calibration.sustainable_requests_per_worker_per_min(requests, 0, 60, verdict, workers)


def test_calibrated_rates_replace_the_assumed_constant_in_the_model():
	"""At 400 measured requests per worker per minute a load needs half the web workers 200 predicts."""
	inputs = CapacityInputs(
		concurrent_users=500, transactions_per_user_per_hour=60, host_cpu_cores=8, host_memory_gb=32
	)
	rates = calibrated_rates(2 * API_CALLS_PER_WORKER_PER_MIN, "LTR-1")
	assert rates.requests_per_worker_per_min == 240
	assumed, measured = web_workers(inputs), web_workers(inputs, rates)
	assert measured["workers_needed"] == pytest.approx(assumed["workers_needed"] / 2)
	assert reference_model(inputs, rates)["rates"]["source"] == "LTR-1"
	compared = capacity_model.predicted_against_measured(inputs, rates)
	assert compared["calibration"] == "LTR-1"
	assert compared["predicted"] == assumed and compared["measured"] == measured


def test_without_a_calibration_the_model_uses_the_assumed_rates():
	"""No stored run: the assumed 120/200 rates, and nothing shown as measured."""
	rates = calibration.rates_from_run("", None)
	assert rates == ASSUMED_RATES
	inputs = CapacityInputs(
		concurrent_users=50, transactions_per_user_per_hour=10, host_cpu_cores=2, host_memory_gb=4
	)
	compared = capacity_model.predicted_against_measured(inputs, rates)
	assert compared["calibration"] is None and compared["measured"] is None
