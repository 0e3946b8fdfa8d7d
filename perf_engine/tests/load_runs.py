"""Load test runs as `perf-engine load` sends them (a plain run, a capacity search), for the tests that
record one without a load."""

from perf_engine.core.load import rules as load_test

TARGET = "http://load-test-run.test"


def payload(p95_ms: float = 100.0, requests: int = 600) -> dict:
	"""List views and saves over 60 s on 3 web workers: 1.5 x `requests` in all."""
	records = {
		"list_view": load_test.KindRecord("list_view", {p95_ms / 2: requests // 2, p95_ms: requests // 2}),
		"save": load_test.KindRecord("save", {p95_ms: requests // 2}),
	}
	return {
		"target_url": TARGET,
		"started_at": "2026-11-23T10:00:00+00:00",
		"ended_at": "2026-11-23T10:01:00+00:00",
		"users": 10,
		"spawn_rate": 10,
		"web_workers": 3,
		"figures": load_test.summarise(records, 60),
	}


def search_payload(web_workers: int = 1) -> dict:
	"""A capacity search: 5, 10 and 15 requests/s keep list views at 100 ms, 20 breaks at 3 s, 15 confirms."""
	curve = [(5, 100.0), (10, 100.0), (15, 120.0), (20, 3000.0), (15, 130.0)]
	steps = [
		{"offered_rate_per_s": rate, "users": rate * 3, "summary": step_summary(rate, p95_ms)}
		for rate, p95_ms in curve
	]
	return {
		**payload(),
		"web_workers": web_workers,
		"figures": steps[-1]["summary"],
		"capacity_search": {"steps": steps, "stopped_by": "confirmed", "limits": None},
	}


def step_summary(rate: int, p95_ms: float) -> dict:
	"""Ten seconds of list views served at `rate` per second (at most 16: the bench's ceiling)."""
	served = min(rate, 16) * 10
	histogram = {p95_ms / 2: served // 2, p95_ms: served - served // 2}
	return load_test.summarise({"list_view": load_test.KindRecord("list_view", histogram)}, 10)
