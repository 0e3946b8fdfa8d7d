"""Job statistics' aggregates: stored small, summed exactly, bounded, and never trusted when malformed."""

import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perf_engine.core.errors import InvalidInput
from perf_engine.core.jobstats.aggregate import MAX_FAILURE_GROUPS, MAX_METHOD_ROWS, OTHER, JobAggregate
from perf_engine.core.jobstats.buckets import add_sparse, sparse
from perf_engine.core.jobstats.failures import Failure
from perf_engine.core.latency.histogram import Histogram

durations = st.lists(st.floats(min_value=0, max_value=5000, allow_nan=False), max_size=50)


@given(durations)
def test_a_sparse_histogram_adds_back_to_the_same_counts(values):
	"""Storing only the used run of buckets loses nothing: added back, counts, count and sum agree."""
	original = Histogram.of(values)
	restored = Histogram()
	add_sparse(restored, json.loads(json.dumps(sparse(original))))
	assert restored.counts == original.counts and restored.count == original.count
	assert restored.sum_s == pytest.approx(original.sum_s, abs=1e-5)


@pytest.mark.parametrize(
	"stored",
	[
		None,
		[],
		[0, [1], 0.1, 9],
		[-1, [1], 0.1],
		[89, [1, 1], 0.1],
		[0, [1.5], 0.1],
		[0, [-1, 2], 0.1],
		[0, ["a"], 1],
		[0, [1], float("nan")],
		"x",
	],
)
def test_a_malformed_sparse_histogram_is_refused(stored):
	"""Out-of-range buckets, fractional or negative counts, a wrong shape: InvalidInput, nothing added."""
	histogram = Histogram()
	with pytest.raises(InvalidInput):
		add_sparse(histogram, stored)
	assert histogram.count == 0 and not any(histogram.counts)


def random_jobs(seed: int, count: int) -> list[tuple]:
	rng = random.Random(seed)
	jobs = []
	for n in range(count):
		failed = rng.random() < 0.2
		jobs.append(
			(
				(
					rng.choice(["a.local", "b.local"]),
					f"app.task_{rng.randrange(5)}",
					rng.choice(["short", "default"]),
				),
				rng.lognormvariate(0, 1),
				rng.lognormvariate(-1, 2),
				Failure("ValueError", f"bad {rng.randrange(3)}") if failed else None,
				1_800_000_000.0 + n,
				f"trace {n}",
				f"job-{n}",
			)
		)
	return jobs


def test_merged_minutes_equal_the_aggregate_of_all_their_jobs():
	"""Summing stored minutes gives exactly the counts, histograms and failure groups of all their jobs."""
	jobs = random_jobs(3, 600)
	whole, merged = JobAggregate(), JobAggregate()
	for start in range(0, len(jobs), 60):
		minute = JobAggregate()
		for job in jobs[start : start + 60]:
			minute.add_job(*job)
			whole.add_job(*job)
		merged.add_stored(json.loads(json.dumps(minute.to_json())))
	assert {k: (c.runs, c.failures, c.run.counts, c.wait.counts) for k, c in merged.methods.items()} == {
		k: (c.runs, c.failures, c.run.counts, c.wait.counts) for k, c in whole.methods.items()
	}
	assert {k: (g.count, g.first_s, g.last_s, g.job_id) for k, g in merged.failures.items()} == {
		k: (g.count, g.first_s, g.last_s, g.job_id) for k, g in whole.failures.items()
	}


def test_a_failure_group_keeps_the_newest_example():
	"""Count, first and last seen add up; the example and job are the newest failure's."""
	found = JobAggregate()
	for ended, job_id in ((200.0, "new"), (100.0, "old")):
		found.add_job(("s", "m", "q"), 1.0, 1.0, Failure("E", "x"), ended, f"trace of {job_id}", job_id)
	group = found.failures[("s", "m", "E", "x")]
	assert (group.count, group.first_s, group.last_s, group.job_id, group.example) == (
		2,
		100.0,
		200.0,
		"new",
		"trace of new",
	)


def test_what_is_stored_is_bounded_and_the_rest_is_summed_as_other():
	"""Past MAX_METHOD_ROWS methods and MAX_FAILURE_GROUPS groups the rest are summed, so totals still hold."""
	found = JobAggregate()
	for n in range(MAX_METHOD_ROWS + 40):
		for _ in range(1 + n % 3):
			found.add_job(
				("a.local", f"m{n}", "default"), 0.5, 0.1, Failure("E", f"message {chr(65 + n % 50)}{n}"), 1.0
			)
	stored = JobAggregate.from_json(json.loads(json.dumps(found.to_json())))
	assert len(stored.methods) == MAX_METHOD_ROWS + 1 and ("", OTHER, "default") in stored.methods
	assert len(stored.failures) == MAX_FAILURE_GROUPS + 1
	assert sum(c.runs for c in stored.methods.values()) == sum(c.runs for c in found.methods.values())
	assert sum(g.count for g in stored.failures.values()) == sum(g.count for g in found.failures.values())


def test_one_sites_view_keeps_its_jobs_and_every_queues_usage():
	"""A site sees its own methods and failures and the whole bench's worker usage."""
	found = JobAggregate()
	found.add_job(("a.local", "m", "q"), 1.0, 1.0, Failure("E", "x"), 1.0)
	found.add_job(("b.local", "m", "q"), 1.0, 1.0)
	found.add_usage("q", 30.0, 60.0)
	mine = found.of_site("a.local")
	assert list(mine.methods) == [("a.local", "m", "q")] and len(mine.failures) == 1
	assert mine.usage == {"q": [30.0, 60.0]}


@pytest.mark.parametrize(
	"stored",
	[
		{"m": [["s", "m", "q", -1, 0, [0, [], 0], [0, [], 0]]]},
		{"m": [["s", "m", "q", 1, 0, [0, [], 0]]]},
		{"m": [[1, "m", "q", 1, 0, [0, [], 0], [0, [], 0]]]},
		{"f": [["s", "m", "E", "x", 1, "nan", 1, "", ""]]},
		{"u": [["q", "inf", 1]]},
		{"u": "q"},
		[],
	],
)
def test_malformed_stored_statistics_are_refused(stored):
	"""A negative count, a short row, a non-name, a non-finite time or number, a wrong shape: InvalidInput."""
	with pytest.raises(InvalidInput):
		JobAggregate.from_json(stored)


json_values = st.recursive(
	st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
	lambda inner: (
		st.lists(inner, max_size=8)
		| st.dictionaries(st.sampled_from(["m", "f", "u", "x"]), inner, max_size=3)
	),
	max_leaves=40,
)


@given(json_values)
def test_any_stored_json_is_read_or_refused(stored):
	"""Whatever a minute key holds, reading it gives an aggregate or InvalidInput, never another error."""
	try:
		JobAggregate.from_json(stored)
	except InvalidInput:
		pass
