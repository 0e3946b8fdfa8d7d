"""Shared steps of the job statistics tests: sample now, wait for RQ, read a window."""

import time

import pytest

from perf_engine.core.jobs.keys import REGISTRIES
from perf_engine.core.jobstats import report, sampling
from perf_engine.core.jobstats.keys import SAMPLING_LOCK

QUEUES = {"default": "bench:default", "short": "bench:short", "long": "bench:long"}
HOUR_S = 3600


def sample_now(client, now_s: float | None = None) -> sampling.Sample:
	"""A sample regardless of the previous one's minimum interval (a test's samples come seconds apart)."""
	client.delete(SAMPLING_LOCK)
	found = sampling.sample(client, QUEUES, now_s)
	assert found.ran
	return found


def wait_for(condition, timeout_s: float = 30, what: str = "condition") -> None:
	deadline = time.monotonic() + timeout_s
	while time.monotonic() < deadline:
		if condition():
			return
		time.sleep(0.05)
	pytest.fail(f"{what} not met within {timeout_s}s")


def wait_ended(client, count: int, queue: str = "default", timeout_s: float = 60) -> None:
	"""Until `count` jobs of the queue sit in its finished and failed registries (read with ZCARD: no cleanup)."""
	keys = [REGISTRIES[registry].format(QUEUES[queue]) for registry in ("finished", "failed")]
	wait_for(
		lambda: sum(client.zcard(key) for key in keys) >= count, timeout_s, f"{count} ended jobs on {queue}"
	)


def last_hour(client, **kwargs) -> dict:
	now = time.time()
	return report.window_report(client, QUEUES, now - HOUR_S, now, **kwargs)


def by_method(found: dict) -> dict[str, dict]:
	return {row["method"]: row for row in found["methods"]}
