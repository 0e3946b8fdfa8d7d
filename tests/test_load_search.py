"""Capacity search's pure rules on recorded curves: each step's breach, the next rate, the stop
conditions and the knee; and, for any curve, that the search ends and never names a broken step."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perf_engine.core.errors import InvalidInput
from perf_engine.core.latency.thresholds import DEFAULT_THRESHOLDS
from perf_engine.core.load import rules as load_test
from perf_engine.core.load import search

THRESHOLDS = {t.operation_type: t for t in DEFAULT_THRESHOLDS}
LIMITS = search.SearchLimits(start_rate_per_s=5, step_rate_per_s=5, hold_s=10, max_steps=20, max_total_s=600)
# A bench with one sync worker, recorded: offered rate -> (served rate, list view p95 ms, failures of 100).
ONE_WORKER = {5: (5, 120, 0), 10: (10, 180, 0), 15: (14.6, 600, 0), 20: (15.1, 2600, 0)}


def summary_at(served: float, p95_ms: float, failures: int = 0, requests: int = 100) -> dict:
	"""A step's summary: list views at p95_ms (and p50 at half of it) over 10 s."""
	histogram = {p95_ms / 2: requests // 2, p95_ms: requests - requests // 2}
	summary = load_test.summarise({"list_view": load_test.KindRecord("list_view", histogram, failures)}, 10)
	summary["total"]["requests_per_s"] = served
	return summary


def step_at(offered: float, curve: dict = ONE_WORKER) -> search.Step:
	return search.held(offered, summary_at(*curve[offered]), THRESHOLDS)


def run_search(curve, limits=LIMITS) -> tuple[list[search.Step], str]:
	"""Drive the search over a recorded curve (rate -> figures), as the load generator does."""
	steps: list[search.Step] = []
	elapsed_s = 0.0
	while True:
		rate, stopped_by = search.next_rate(steps, limits, elapsed_s)
		if rate is None:
			return steps, stopped_by
		elapsed_s += search.step_time_s(steps, limits)
		steps.append(curve(rate))


def test_a_step_within_every_threshold_kept_the_sla():
	"""p95 under the list view's 2000 ms and no failures: no breach."""
	assert search.held(10, summary_at(10, 180), THRESHOLDS).kept_sla


def test_a_p95_above_its_threshold_names_kind_and_percentile():
	"""The breach says which kind, at which percentile, by how much."""
	found = search.breach(summary_at(15, 2600), THRESHOLDS)
	assert (found["kind"], found["measure"], found["percentile"]) == ("list_view", "p95", 95)
	assert (found["value"], found["limit"]) == (2600, 2000)
	assert found["text"] == "list_view p95 2600 ms above its 2000 ms threshold"


def test_failures_above_one_percent_break_even_when_fast():
	"""2 failed of 100: a breach by failures, whatever the times."""
	found = search.breach(summary_at(10, 50, failures=2), THRESHOLDS)
	assert (found["measure"], found["percentile"], found["value"]) == ("failures", None, 2.0)


def test_a_kind_not_sent_in_a_step_is_not_a_breach():
	"""A short step that drew no report has no report to judge: it kept the SLA."""
	summary = summary_at(10, 180)
	summary["kinds"]["report"] = load_test.figures({}, 0, 10)
	assert search.breach(summary, THRESHOLDS) is None


def test_a_step_that_served_nothing_broke():
	"""A bench that answered nothing within the step (hung, or every request still waiting) broke it."""
	empty = load_test.summarise({}, 10)
	assert search.breach(empty, THRESHOLDS)["measure"] == search.NOTHING_SERVED


def test_the_search_steps_up_breaks_backs_off_and_confirms():
	"""5, 10, 15 keep the SLA, 20 breaks, 15 again confirms: the knee is 15 offered, 14.6 served."""
	steps, stopped_by = run_search(lambda rate: step_at(rate))
	assert [s.offered_rate_per_s for s in steps] == [5, 10, 15, 20, 15]
	assert stopped_by == search.CONFIRMED
	knee = search.knee(steps, stopped_by, web_workers=1)
	assert knee["requests_per_s"] == 14.6 and knee["offered_rate_per_s"] == 15
	assert knee["requests_per_worker_per_min"] == 876
	assert knee["broke_at"]["step"] == 4 and knee["broke_at"]["offered_rate_per_s"] == 20
	assert (knee["broke_at"]["kind"], knee["broke_at"]["percentile"]) == ("list_view", 95)
	assert knee["measured"] is True


def test_a_failed_confirmation_backs_off_again():
	"""20 breaks, then 15 breaks too on its second try: the knee drops to 10."""
	tries = {15: iter([(14.6, 600, 0), (14.0, 2100, 0)])}
	steps, stopped_by = run_search(
		lambda rate: search.held(
			rate, summary_at(*next(tries[rate]) if rate in tries else ONE_WORKER[rate]), THRESHOLDS
		)
	)
	assert [s.offered_rate_per_s for s in steps] == [5, 10, 15, 20, 15, 10]
	knee = search.knee(steps, stopped_by, web_workers=2)
	assert knee["offered_rate_per_s"] == 10 and knee["requests_per_worker_per_min"] == 300
	assert stopped_by == search.CONFIRMED


def test_breaking_at_the_first_rate_stops_without_a_knee():
	"""The start rate already breaks: nothing lower to try, no knee, and the reason says so."""
	steps, stopped_by = run_search(lambda rate: search.held(rate, summary_at(rate, 5000), THRESHOLDS))
	assert stopped_by == search.LOWEST_RATE_BROKE and len(steps) == 1
	knee = search.knee(steps, stopped_by, web_workers=1)
	assert knee["requests_per_s"] is None and knee["measured"] is False


def test_max_steps_and_max_time_stop_a_search_that_never_breaks():
	"""A bench that keeps up with everything: the limits end the search, the knee is a lower bound."""
	fast = lambda rate: search.held(rate, summary_at(rate, 100), THRESHOLDS)  # noqa: E731
	steps, stopped_by = run_search(fast, search.SearchLimits(5, 5, 10, max_steps=4, max_total_s=600))
	assert (len(steps), stopped_by) == (4, search.MAX_STEPS_REACHED)
	knee = search.knee(steps, stopped_by, None)
	assert knee["offered_rate_per_s"] == 20 and knee["measured"] is False and knee["broke_at"] is None
	assert knee["requests_per_worker_per_min"] is None
	steps, stopped_by = run_search(fast, search.SearchLimits(5, 5, 10, max_steps=20, max_total_s=45))
	assert (len(steps), stopped_by) == (3, search.MAX_TIME_REACHED)


@pytest.mark.parametrize(
	"limits",
	[
		{"start_rate_per_s": 0},
		{"step_rate_per_s": float("nan")},
		{"hold_s": 0.5},
		{"max_steps": 0},
		{"max_total_s": 1, "hold_s": 10},
	],
)
def test_limits_that_would_never_step_or_never_end_are_refused(limits):
	"""Zero rates, a NaN step, a sub-second hold, no steps or less time than one hold: refused."""
	with pytest.raises(InvalidInput):
		search.SearchLimits(**limits)


def test_a_step_after_a_breach_starts_with_a_pause():
	"""The bench's backlog is served before the lower rate is held, and the time limit counts the pause."""
	steps = [step_at(5), step_at(20)]
	assert search.drains(steps) and not search.drains(steps[:1])
	assert search.step_time_s(steps, LIMITS) == search.DRAIN_S + LIMITS.step_s


def test_users_offer_the_rate_one_request_per_interval():
	"""Each user sends one request per USER_INTERVAL_S at most; at least one user, never fewer than run."""
	assert search.users_for(10) == 10 * search.USER_INTERVAL_S
	assert search.users_for(0.01) == 1
	assert search.users_for(10, running=45) == 45


def test_tasks_per_second_count_a_save_as_two_requests():
	"""With 12.5 % saves, 11.25 requests/s take 10 tasks/s; without saves tasks and requests are one."""
	assert search.task_rate_per_s(11.25, {"save": 0.125, "list_view": 0.875}) == 10
	assert search.task_rate_per_s(10, {"list_view": 1.0}) == 10


def test_curve_row_carries_rates_percentiles_per_kind_and_failures():
	"""What the Load Test Run, the report and --json show per step."""
	row = search.curve_row(step_at(20))
	assert row["offered_rate_per_s"] == 20 and row["served_rate_per_s"] == 15.1
	assert row["kinds"]["list_view"]["p95_ms"] == 2600 and row["failures"] == 0
	assert row["kept_sla"] is False and "list_view p95" in row["breach"]


curves = st.dictionaries(
	st.integers(min_value=1, max_value=60),
	st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 5)), min_size=1, max_size=3),
	min_size=1,
)
limits = st.builds(
	search.SearchLimits,
	start_rate_per_s=st.sampled_from([1.0, 2.0, 5.0, 7.5]),
	step_rate_per_s=st.sampled_from([0.5, 1.0, 2.5, 5.0]),
	hold_s=st.sampled_from([2.0, 10.0, 30.0]),
	max_steps=st.integers(1, 60),
	max_total_s=st.sampled_from([40.0, 300.0, 3600.0]),
)


def recorded(curve: dict, rate: float, seen: dict) -> search.Step:
	"""The curve's figures at the nearest recorded rate, each repeat taking the next try."""
	nearest = min(curve, key=lambda r: abs(r - rate))
	tries = curve[nearest]
	p95, failures = tries[min(seen.setdefault(rate, 0), len(tries) - 1)]
	seen[rate] += 1
	return search.held(rate, summary_at(rate, p95, failures), THRESHOLDS)


@settings(max_examples=300, deadline=None)
@given(curves, limits)
def test_any_search_ends_within_its_limits_and_its_knee_never_broke(curve, limits):
	"""Whatever the bench answers, the search stops within max steps and max time, and the knee is a
	step that kept the SLA, below every rate that broke it."""
	seen: dict = {}
	steps, stopped_by = run_search(lambda rate: recorded(curve, rate, seen), limits)
	assert 1 <= len(steps) <= limits.max_steps
	assert sum(search.step_time_s(steps[:n], limits) for n in range(len(steps))) <= limits.max_total_s
	assert all(s.offered_rate_per_s > 0 for s in steps)
	found = search.knee_step(steps)
	if found is not None:
		assert found.kept_sla
		assert all(found.offered_rate_per_s < s.offered_rate_per_s for s in steps if not s.kept_sla)
	knee = search.knee(steps, stopped_by, web_workers=1)
	if knee["measured"]:
		assert stopped_by == search.CONFIRMED and knee["broke_at"] is not None


@settings(max_examples=200, deadline=None)
@given(curves, limits)
def test_the_rate_only_falls_after_the_first_breach(curve, limits):
	"""Up by one step while every step kept the SLA; after the first breach, never above the lowest broken rate."""
	seen: dict = {}
	steps, _ = run_search(lambda rate: recorded(curve, rate, seen), limits)
	for index in range(1, len(steps)):
		before, after = steps[index - 1], steps[index]
		broken = [s.offered_rate_per_s for s in steps[:index] if not s.kept_sla]
		if not broken:
			assert after.offered_rate_per_s == pytest.approx(
				before.offered_rate_per_s + limits.step_rate_per_s
			)
		else:
			assert after.offered_rate_per_s < min(broken)
