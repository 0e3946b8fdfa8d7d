"""The reference capacity model reproduces the documented formulas to the unit."""

import math

import pytest

from perf_engine.core.capacity import CapacityInputs, reference_model
from perf_engine.core.errors import InvalidInput


def model_for(**inputs):
	return reference_model(CapacityInputs(**inputs))


def test_small_site_matches_hand_computed_model():
	"""100 users x 30 tx/h at 2x peak on a 4-core 8 GB host gives the hand-worked figures."""
	model = model_for(
		concurrent_users=100,
		transactions_per_user_per_hour=30,
		peak_multiplier=2,
		host_cpu_cores=4,
		host_memory_gb=8,
		memory_per_worker_mb=256,
	)
	web = model["web"]
	assert (web["peak_requests_per_min"], web["peak_api_calls_per_min"]) == (100, 200)
	assert math.isclose(web["workers_for_requests"], 100 / 120)
	assert web["workers_for_api"] == 1.0
	assert (web["recommended_gunicorn_workers"], web["minimum_gunicorn_workers"]) == (1, 1)
	assert model["background"] == {"jobs_per_min": 15.0, "default": 2, "short": 1, "long": 1, "scheduler": 1}
	assert model["db_connections"] == {"total": 7, "recommended_pool": 18, "minimum": 7}
	mix = model["mix_estimate"]
	assert math.isclose(mix["requests_per_min"], 193.05)
	assert (mix["workers"], mix["gunicorn_workers"]) == (2, 4)
	assert (mix["background_default"], mix["background_long"], mix["background_short"]) == (2, 1, 1)
	assert model["host_gunicorn"] == {
		"workers": 9,
		"worker_class": "gthread",
		"threads": 4,
		"timeout": 120,
		"keepalive": 5,
		"max_requests": 1000,
		"max_requests_jitter": 50,
	}


def test_large_site_caps_the_pool_at_500():
	"""5000 users x 60 tx/h at 3x peak: API calls drive workers and the pool hits its 500 ceiling."""
	model = model_for(
		concurrent_users=5000,
		transactions_per_user_per_hour=60,
		peak_multiplier=3,
		mix_light=40,
		mix_medium=30,
		mix_heavy=20,
		mix_batch=10,
		host_cpu_cores=16,
		host_memory_gb=64,
		memory_per_worker_mb=512,
	)
	web = model["web"]
	assert (web["workers_for_requests"], web["workers_for_api"]) == (125, 150)
	assert (web["recommended_gunicorn_workers"], web["minimum_gunicorn_workers"]) == (225, 150)
	assert model["background"] == {
		"jobs_per_min": 1500.0,
		"default": 150,
		"short": 75,
		"long": 50,
		"scheduler": 1,
	}
	assert model["db_connections"] == {"total": 726, "recommended_pool": 500, "minimum": 726}
	mix = model["mix_estimate"]
	assert (mix["workers"], mix["gunicorn_workers"]) == (95, 95)
	assert (mix["background_default"], mix["background_long"], mix["background_short"]) == (28, 19, 9)
	assert model["host_gunicorn"]["workers"] == 33


def test_tiny_load_falls_back_to_the_floors():
	"""The smallest allowed load keeps every max() floor: 2/1/1 RQ workers, 4 gunicorn workers."""
	model = model_for(
		concurrent_users=1,
		transactions_per_user_per_hour=0.01,
		peak_multiplier=1,
		mix_light=100,
		mix_medium=0,
		mix_heavy=0,
		mix_batch=0,
		host_cpu_cores=1,
		host_memory_gb=0.5,
		memory_per_worker_mb=256,
	)
	assert model["web"]["recommended_gunicorn_workers"] == 0
	assert model["background"]["default"] == 2
	assert model["db_connections"] == {"total": 5, "recommended_pool": 16, "minimum": 5}
	assert model["mix_estimate"]["gunicorn_workers"] == 4
	assert model["host_gunicorn"]["workers"] == 4


def test_memory_bound_host_limits_gunicorn_workers():
	"""On a 32-core host with 2.5 GB, memory (int(2.5 x 0.6 x 1024 / 256) = 6) sets the worker count, not CPU."""
	model = model_for(
		concurrent_users=10, transactions_per_user_per_hour=10, host_cpu_cores=32, host_memory_gb=2.5
	)
	assert model["host_gunicorn"]["workers"] == 6


def test_host_defaults_come_from_this_machine():
	"""Without host figures the model plans for the machine it runs on."""
	import psutil

	inputs = CapacityInputs(concurrent_users=10, transactions_per_user_per_hour=10)
	assert inputs.host_cpu_cores == psutil.cpu_count()
	assert inputs.host_memory_gb > 0
	assert inputs.memory_per_worker_mb == 256


@pytest.mark.parametrize(
	("overrides", "message"),
	[
		({"concurrent_users": 0}, "Concurrent users must be between 1"),
		({"concurrent_users": -5}, "Concurrent users must be between 1"),
		({"transactions_per_user_per_hour": 10_000_000}, "Transactions per user per hour must be between"),
		({"peak_multiplier": 0.5}, "Peak multiplier must be between 1"),
		({"memory_per_worker_mb": 0}, "Memory per worker mb must be between"),
		({"concurrent_users": float("nan")}, "must be a number"),
		({"concurrent_users": "many"}, "must be a number"),
		({"mix_light": 50}, "must add up to 100 %, it adds up to 90 %"),
		({"mix_light": 80, "mix_medium": -10, "mix_heavy": 25}, "cannot be negative"),
	],
)
def test_absurd_inputs_are_refused_with_a_reason(overrides, message):
	"""Zero, negative, absurd and non-numeric inputs and a mix not summing to 100 are refused clearly."""
	inputs = {"concurrent_users": 100, "transactions_per_user_per_hour": 30, **overrides}
	with pytest.raises(InvalidInput, match=message):
		CapacityInputs(**inputs)
