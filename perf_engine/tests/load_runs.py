"""A load test run as `perf-engine load` sends it, for the tests that record one without a load."""

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
