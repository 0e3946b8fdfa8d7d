"""The reference capacity model reproduces the documented formulas to the unit."""

import math

import pytest

from perf_engine.cli import main
from perf_engine.core.capacity.model import CapacityInputs, reference_model
from perf_engine.core.capacity.recommendation import HOST_WEB_WORKERS, MARIADB_POOL, recommend
from perf_engine.core.errors import InvalidInput

HOST = {"host_cpu_cores": 4, "host_memory_gb": 8}
LARGE_SITE = {
	"concurrent_users": 5000,
	"transactions_per_user_per_hour": 60,
	"peak_multiplier": 3,
	"mix_light": 40,
	"mix_medium": 30,
	"mix_heavy": 20,
	"mix_batch": 10,
	"host_cpu_cores": 16,
	"host_memory_gb": 64,
	"memory_per_worker_mb": 512,
}


def model_for(**inputs):
	return reference_model(CapacityInputs(**inputs))


def advice_for(**inputs):
	capacity_inputs = CapacityInputs(**inputs)
	return recommend(capacity_inputs, reference_model(capacity_inputs))


def test_seed_worked_example_is_exact_and_needs_no_correction():
	"""The seed's worked example (500 users x 20 tx/h at 3x peak) gives 7/5 workers, 5/2/1/1 queue
	workers, pool 37 and minimum 23, and the recommendation keeps every figure."""
	inputs = {"concurrent_users": 500, "transactions_per_user_per_hour": 20, "peak_multiplier": 3, **HOST}
	model = model_for(**inputs)
	web = model["web"]
	assert (web["recommended_gunicorn_workers"], web["minimum_gunicorn_workers"]) == (7, 5)
	assert model["background"] == {"jobs_per_min": 50.0, "default": 5, "short": 2, "long": 1, "scheduler": 1}
	assert model["db_connections"] == {"total": 23, "recommended_pool": 37, "minimum": 23}
	advice = advice_for(**inputs)
	assert advice["gunicorn_workers"] == {"recommended": 7, "minimum": 5}
	assert advice["background"] == {"default": 5, "short": 2, "long": 1, "scheduler": 1}
	assert advice["db_pool"] == {"recommended": 37, "minimum": 23}
	assert (advice["floors"], advice["limits"], advice["fits"]) == ([], [], True)


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
	model = model_for(**LARGE_SITE)
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


def test_tiny_load_recommends_one_web_worker_and_says_which_floors_applied():
	"""50 users at 10 tx/h: the formula gives 0 gunicorn workers; the recommendation runs 1 and says why."""
	model = model_for(concurrent_users=50, transactions_per_user_per_hour=10, **HOST)
	assert model["web"]["recommended_gunicorn_workers"] == 0, "the seed's figure is kept as it is"
	advice = advice_for(concurrent_users=50, transactions_per_user_per_hour=10, **HOST)
	assert advice["gunicorn_workers"] == {"recommended": 1, "minimum": 1}
	assert advice["floors"][0].startswith("gunicorn workers: at least 1") and "gives 0" in advice["floors"][0]
	assert {floor.split(":")[0] for floor in advice["floors"][1:]} == {
		"default queue",
		"short queue",
		"long queue",
	}
	assert advice["db_pool"] == {"recommended": 18, "minimum": 7}, "the pool counts the floored web worker"
	assert advice["fits"] and advice["verdict"].startswith("Fits")


def test_huge_load_names_the_hard_limits_and_never_recommends_below_the_minimum():
	"""5000 users at 60 tx/h, peak 3: the pool is 726 (its own minimum) past the 500 ceiling, and the
	workers pass this host; the verdict says to scale out."""
	advice = advice_for(**LARGE_SITE)
	assert advice["db_pool"] == {"recommended": 726, "minimum": 726}
	limits = {limit["limit"]: limit for limit in advice["limits"]}
	assert (limits[MARIADB_POOL]["needed"], limits[MARIADB_POOL]["available"]) == (726, 500)
	assert (limits[HOST_WEB_WORKERS]["needed"], limits[HOST_WEB_WORKERS]["available"]) == (225, 33)
	assert "scale out to 7 app servers" in advice["verdict"]
	assert "scale the database out" in advice["verdict"] and not advice["fits"]


@pytest.mark.parametrize("users", [1, 10, 50, 100, 500, 1000, 5000, 20_000, 100_000])
@pytest.mark.parametrize("transactions", [0.5, 10, 60, 600])
def test_recommendation_is_never_below_its_minimum(users, transactions):
	"""At every scale each recommended figure is at least its minimum, and at least one web worker."""
	advice = advice_for(concurrent_users=users, transactions_per_user_per_hour=transactions, **HOST)
	assert advice["gunicorn_workers"]["recommended"] >= advice["gunicorn_workers"]["minimum"] >= 1
	assert advice["db_pool"]["recommended"] >= advice["db_pool"]["minimum"]
	assert advice["fits"] == (not advice["limits"])


def test_records_per_query_size_reports_and_the_long_queue():
	"""50,000 records per query make 50 s reports (10 s per 10,000): the batch share at peak keeps 21
	long-queue workers busy, and the pool grows with them; 200,000 outlast gunicorn's timeout."""
	inputs = {"concurrent_users": 500, "transactions_per_user_per_hour": 20, "peak_multiplier": 3, **HOST}
	advice = advice_for(avg_records_per_query=50_000, **inputs)
	assert advice["report"] == {
		"seconds_per_report": 50.0,
		"batch_jobs_per_min": 25.0,
		"long_workers_for_reports": 21,
	}
	assert advice["background"]["long"] == 21 and model_for(**inputs)["background"]["long"] == 1
	assert advice["db_pool"] == {"recommended": 61, "minimum": 43}
	assert "long queue: 21 workers" in advice["notes"][0]
	slow = advice_for(avg_records_per_query=200_000, **inputs)
	assert "outlasts gunicorn's 120 s timeout" in slow["notes"][-1]
	assert advice_for(avg_records_per_query=20, **inputs)["notes"] == []


def test_capacity_command_exits_1_only_past_a_hard_limit(capsys):
	"""`perf-engine capacity` exits 0 when the load fits and 1 with the scale-out verdict when not."""
	assert (
		main(["capacity", "--users", "50", "--transactions", "10", "--cores", "4", "--memory-gb", "8"]) == 0
	)
	out = capsys.readouterr().out
	assert "gunicorn workers: at least 1" in out and "Fits this host" in out
	huge = ["capacity", "--users", "5000", "--transactions", "60", "--peak", "3", "--cores", "16"]
	assert main([*huge, "--memory-gb", "64"]) == 1
	assert "Exceeds a hard limit" in capsys.readouterr().out


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
		({"mix_light": float("nan")}, "Mix light must be a number"),
		({"mix_batch": float("inf")}, "Mix batch must be a number"),
		({"mix_medium": "25"}, "Mix medium must be a number"),
		({"mix_light": 160, "mix_medium": -60}, "Mix light must be between 0 and 100"),
		({"host_cpu_cores": 0}, "Host cpu cores must be between 1"),
		({"host_memory_gb": 0}, "Host memory gb must be between 0.25"),
		({"mix_light": 50}, "must add up to 100 %, it adds up to 90 %"),
		({"mix_light": 80, "mix_medium": -10, "mix_heavy": 25}, "cannot be negative"),
	],
)
def test_absurd_inputs_are_refused_with_a_reason(overrides, message):
	"""Zero, negative, absurd and non-numeric inputs and a mix not summing to 100 are refused clearly."""
	inputs = {"concurrent_users": 100, "transactions_per_user_per_hour": 30, **overrides}
	with pytest.raises(InvalidInput, match=message):
		CapacityInputs(**inputs)
