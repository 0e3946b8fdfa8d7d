"""The reference capacity model: gunicorn workers, RQ workers and DB connections from load.

Measures nothing itself: it turns an operator's load figures (users, transactions, peak
multiplier, transaction mix) and a host's size into recommended worker counts and a
MariaDB pool size. The formulas are perf_engine's documented reference model and must
stay exact to the unit; `measured_capacity` gives the second, measured opinion.
"""

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import psutil

from perf_engine.core.errors import InvalidInput

REQUESTS_PER_WORKER_PER_MIN = 120
API_CALLS_PER_WORKER_PER_MIN = 200
API_CALLS_PER_REQUEST = 2
WORKER_HEADROOM = 1.5
JOB_SHARE_OF_TRANSACTIONS = 0.3
JOBS_PER_DEFAULT_WORKER_PER_MIN = 10
JOBS_PER_SHORT_WORKER_PER_MIN = 20
JOBS_PER_LONG_WORKER_PER_MIN = 30
DB_CONNECTIONS_PER_WEB_WORKER = 2
DB_POOL_HEADROOM = 1.2
DB_POOL_SPARE = 10
DB_POOL_CEILING = 500
MIX_REQUESTS_PER_USER_PER_MIN = {"light": 2.0, "medium": 1.0, "heavy": 0.3, "batch": 0.1}
MIX_OVERHEAD = 1.3
MIN_DEFAULT_WORKERS = 2
MIN_SHORT_WORKERS = 1
MIN_LONG_WORKERS = 1
MIX_BACKGROUND_SHARES = {"default": 0.3, "long": 0.2, "short": 0.1}
HOST_MEMORY_SHARE_FOR_WEB = 0.6
MIN_GUNICORN_WORKERS = 4
GUNICORN_THREADS = 4
GUNICORN_TIMEOUT_S = 120
GUNICORN_KEEPALIVE_S = 5
GUNICORN_MAX_REQUESTS = 1000
GUNICORN_MAX_REQUESTS_JITTER = 50
DEFAULT_MEMORY_PER_WORKER_MB = 256
MIX_TOLERANCE_PERCENT = 0.01
MIX_FIELDS = ("mix_light", "mix_medium", "mix_heavy", "mix_batch")
ASSUMED = "assumed"

# (field, lowest allowed, highest allowed): beyond these a figure is a typo, not a plan.
LIMITS = {
	"concurrent_users": (1, 1_000_000),
	"transactions_per_user_per_hour": (0.01, 100_000),
	"avg_records_per_query": (1, 100_000_000),
	"peak_multiplier": (1, 100),
	"host_cpu_cores": (1, 4096),
	"host_memory_gb": (0.25, 65_536),
	"memory_per_worker_mb": (32, 65_536),
}


@dataclass(frozen=True)
class WorkerRates:
	"""What one gunicorn worker serves per minute: assumed by the reference model, or calibrated
	from a load test of the site (`source` names the run)."""

	requests_per_worker_per_min: float = REQUESTS_PER_WORKER_PER_MIN
	api_calls_per_worker_per_min: float = API_CALLS_PER_WORKER_PER_MIN
	source: str = ASSUMED

	def __post_init__(self) -> None:
		for name in ("requests_per_worker_per_min", "api_calls_per_worker_per_min"):
			value = getattr(self, name)
			if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
				raise InvalidInput(f"{label(name)} must be a number above 0, got {value!r}")


ASSUMED_RATES = WorkerRates()


def calibrated_rates(http_requests_per_worker_per_min: float, source: str) -> WorkerRates:
	"""The rates a load test measured: every HTTP request Desk or a REST client makes is one of the
	model's API calls, so the measured figure replaces the API-call rate, and the request
	(transaction) rate moves with it in the reference model's proportion (120 to 200)."""
	ratio = REQUESTS_PER_WORKER_PER_MIN / API_CALLS_PER_WORKER_PER_MIN
	return WorkerRates(
		requests_per_worker_per_min=http_requests_per_worker_per_min * ratio,
		api_calls_per_worker_per_min=http_requests_per_worker_per_min,
		source=source,
	)


@dataclass(frozen=True)
class CapacityInputs:
	"""What an operator knows about the load and the host."""

	concurrent_users: float
	transactions_per_user_per_hour: float
	avg_records_per_query: float = 20
	peak_multiplier: float = 2
	mix_light: float = 60
	mix_medium: float = 25
	mix_heavy: float = 10
	mix_batch: float = 5
	host_cpu_cores: float = field(default_factory=lambda: host_resources()["host_cpu_cores"])
	host_memory_gb: float = field(default_factory=lambda: host_resources()["host_memory_gb"])
	memory_per_worker_mb: float = DEFAULT_MEMORY_PER_WORKER_MB

	def __post_init__(self) -> None:
		for name, (low, high) in {**LIMITS, **dict.fromkeys(MIX_FIELDS, (0, 100))}.items():
			value = getattr(self, name)
			if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
				raise InvalidInput(f"{label(name)} must be a number, got {value!r}")
			if value < 0 and name in MIX_FIELDS:
				raise InvalidInput("Transaction mix shares cannot be negative")
			if value < low or value > high:
				raise InvalidInput(
					f"{label(name)} must be between {readable(low)} and {readable(high)}, got {readable(value)}"
				)
		mix = self.mix
		if abs(sum(mix.values()) - 100) > MIX_TOLERANCE_PERCENT:
			raise InvalidInput(f"Transaction mix must add up to 100 %, it adds up to {sum(mix.values()):g} %")

	@property
	def mix(self) -> dict[str, float]:
		return {
			"light": self.mix_light,
			"medium": self.mix_medium,
			"heavy": self.mix_heavy,
			"batch": self.mix_batch,
		}


def inputs_from(values: Mapping[str, float | None]) -> CapacityInputs:
	"""Inputs from what an operator gave (API, CLI): a missing or None value takes its default,
	and the host's size defaults to this server's."""
	return CapacityInputs(**{name: value for name, value in values.items() if value is not None})


def host_resources() -> dict[str, float]:
	"""This machine's CPU cores and memory, the default target host."""
	return {
		"host_cpu_cores": psutil.cpu_count() or 1,
		"host_memory_gb": round(psutil.virtual_memory().total / 1024**3, 2),
	}


def readable(number: float) -> str:
	"""1000000 -> '1,000,000' and 0.25 -> '0.25', never '1e+06' in a message."""
	return f"{int(number):,}" if number == int(number) else f"{number:g}"


def label(fieldname: str) -> str:
	"""concurrent_users -> 'Concurrent users', for messages a person reads."""
	return fieldname.replace("_", " ").capitalize()


def web_workers(inputs: CapacityInputs, rates: WorkerRates = ASSUMED_RATES) -> dict:
	"""Gunicorn workers from peak request and API rates, at what one worker serves (`rates`)."""
	requests_per_min = inputs.concurrent_users * inputs.transactions_per_user_per_hour / 60
	peak_requests = requests_per_min * inputs.peak_multiplier
	peak_api_calls = API_CALLS_PER_REQUEST * requests_per_min * inputs.peak_multiplier
	for_requests = peak_requests / rates.requests_per_worker_per_min
	for_api = peak_api_calls / rates.api_calls_per_worker_per_min
	total = max(for_requests, for_api)
	return {
		"peak_requests_per_min": peak_requests,
		"peak_api_calls_per_min": peak_api_calls,
		"workers_for_requests": for_requests,
		"workers_for_api": for_api,
		"workers_needed": total,
		"recommended_gunicorn_workers": int(total * WORKER_HEADROOM),
		"minimum_gunicorn_workers": int(total),
	}


def background_workers(inputs: CapacityInputs) -> dict:
	"""RQ workers per queue from the share of transactions that become jobs."""
	job_rate = (
		inputs.concurrent_users * inputs.transactions_per_user_per_hour * JOB_SHARE_OF_TRANSACTIONS / 60
	)
	return {
		"jobs_per_min": job_rate,
		"default": max(MIN_DEFAULT_WORKERS, int(job_rate / JOBS_PER_DEFAULT_WORKER_PER_MIN)),
		"short": max(MIN_SHORT_WORKERS, int(job_rate / JOBS_PER_SHORT_WORKER_PER_MIN)),
		"long": max(MIN_LONG_WORKERS, int(job_rate / JOBS_PER_LONG_WORKER_PER_MIN)),
		"scheduler": 1,
	}


def db_connections(recommended_web_workers: int, background: dict) -> dict:
	"""MariaDB connections: two per web worker plus one per background process (scheduler included)."""
	total = recommended_web_workers * DB_CONNECTIONS_PER_WEB_WORKER + sum(
		background[queue] for queue in ("default", "short", "long", "scheduler")
	)
	return {
		"total": total,
		"recommended_pool": min(int(total * DB_POOL_HEADROOM) + DB_POOL_SPARE, DB_POOL_CEILING),
		"minimum": total,
	}


def mix_estimate(inputs: CapacityInputs, rates: WorkerRates = ASSUMED_RATES) -> dict:
	"""A second estimate weighting users by what they do rather than how often."""
	per_user = sum(inputs.mix[kind] / 100 * rate for kind, rate in MIX_REQUESTS_PER_USER_PER_MIN.items())
	total = inputs.concurrent_users * per_user * MIX_OVERHEAD
	workers = int(total / rates.requests_per_worker_per_min * WORKER_HEADROOM)
	return {
		"requests_per_min": total,
		"workers": workers,
		"gunicorn_workers": max(MIN_GUNICORN_WORKERS, workers),
		"background_default": max(2, int(workers * MIX_BACKGROUND_SHARES["default"])),
		"background_long": max(1, int(workers * MIX_BACKGROUND_SHARES["long"])),
		"background_short": max(1, int(workers * MIX_BACKGROUND_SHARES["short"])),
	}


def host_worker_limits(inputs: CapacityInputs) -> dict:
	"""Gunicorn workers the host carries: CPU-bound by 2 x cores + 1, memory-bound by worker size."""
	return {
		"by_cpu": int(2 * inputs.host_cpu_cores + 1),
		"by_memory": int(
			inputs.host_memory_gb * HOST_MEMORY_SHARE_FOR_WEB * 1024 / inputs.memory_per_worker_mb
		),
	}


def host_gunicorn_config(inputs: CapacityInputs) -> dict:
	"""Gunicorn settings for the host: what it carries, never fewer than MIN_GUNICORN_WORKERS."""
	limits = host_worker_limits(inputs)
	return {
		"workers": max(MIN_GUNICORN_WORKERS, min(limits["by_cpu"], limits["by_memory"])),
		"worker_class": "gthread",
		"threads": GUNICORN_THREADS,
		"timeout": GUNICORN_TIMEOUT_S,
		"keepalive": GUNICORN_KEEPALIVE_S,
		"max_requests": GUNICORN_MAX_REQUESTS,
		"max_requests_jitter": GUNICORN_MAX_REQUESTS_JITTER,
	}


def reference_model(inputs: CapacityInputs, rates: WorkerRates = ASSUMED_RATES) -> dict:
	"""Every output of the reference model, keyed as the DocType and API show them; `rates` are
	the assumed per-worker rates unless a load test calibrated them."""
	web = web_workers(inputs, rates)
	background = background_workers(inputs)
	return {
		"inputs": asdict(inputs),
		"web": web,
		"background": background,
		"db_connections": db_connections(web["recommended_gunicorn_workers"], background),
		"mix_estimate": mix_estimate(inputs, rates),
		"rates": asdict(rates),
		"host_gunicorn": host_gunicorn_config(inputs),
	}


def predicted_against_measured(inputs: CapacityInputs, rates: WorkerRates) -> dict:
	"""Web workers the assumed rates predict beside those the calibrated rates call for."""
	predicted = web_workers(inputs, ASSUMED_RATES)
	measured = web_workers(inputs, rates) if rates.source != ASSUMED_RATES.source else None
	return {
		"calibration": rates.source if measured else None,
		"assumed_rates": asdict(ASSUMED_RATES),
		"rates": asdict(rates),
		"predicted": predicted,
		"measured": measured,
	}
