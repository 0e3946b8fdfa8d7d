"""The sizing a person acts on, built on the reference model's figures, which stay as the seed gives them.

Adds to the formulas:
- floors: a bench always runs at least one gunicorn worker, and RQ queues keep the seed's
  own floors (2 default, 1 short, 1 long); every floor that set a figure is named;
- report work from `avg_records_per_query`, as the seed sizes it: about 10 s per 10,000
  records on one worker. Batch transactions run as long-queue jobs of that length, and
  the long queue gets the workers they keep busy at peak;
- a recommendation never below its own minimum: the pool covers at least the connections
  the recommended workers open, even past the ceiling the formula caps it at;
- hard limits: MariaDB's practical pool ceiling, and the gunicorn workers this host's
  cores and memory carry. Past one, the verdict says so and how to scale out.
"""

import math

from perf_engine.core.capacity.model import (
	DB_POOL_CEILING,
	GUNICORN_TIMEOUT_S,
	HOST_MEMORY_SHARE_FOR_WEB,
	JOBS_PER_DEFAULT_WORKER_PER_MIN,
	JOBS_PER_LONG_WORKER_PER_MIN,
	JOBS_PER_SHORT_WORKER_PER_MIN,
	MIN_DEFAULT_WORKERS,
	MIN_LONG_WORKERS,
	MIN_SHORT_WORKERS,
	CapacityInputs,
	db_connections,
	host_worker_limits,
)

MIN_WEB_WORKERS = 1
REPORT_SECONDS_PER_RECORD = 10 / 10_000
SECONDS_PER_MINUTE = 60
QUEUE_FLOORS = {
	"default": (MIN_DEFAULT_WORKERS, JOBS_PER_DEFAULT_WORKER_PER_MIN),
	"short": (MIN_SHORT_WORKERS, JOBS_PER_SHORT_WORKER_PER_MIN),
	"long": (MIN_LONG_WORKERS, JOBS_PER_LONG_WORKER_PER_MIN),
}
MARIADB_POOL, HOST_WEB_WORKERS = "mariadb_pool", "host_web_workers"


def report_work(inputs: CapacityInputs, peak_requests_per_min: float) -> dict:
	"""How long one report takes, and the long-queue workers batch reports keep busy at peak."""
	seconds = inputs.avg_records_per_query * REPORT_SECONDS_PER_RECORD
	batch_per_min = peak_requests_per_min * inputs.mix_batch / 100
	return {
		"seconds_per_report": seconds,
		"batch_jobs_per_min": batch_per_min,
		"long_workers_for_reports": math.ceil(batch_per_min * seconds / SECONDS_PER_MINUTE),
	}


def floors_applied(model: dict, gunicorn_formula: int) -> list[str]:
	"""Each floor that, rather than the load, set a figure."""
	floors = []
	if gunicorn_formula < MIN_WEB_WORKERS:
		floors.append(
			f"gunicorn workers: at least {MIN_WEB_WORKERS}, a bench always runs a web worker "
			f"(the load alone gives {gunicorn_formula})"
		)
	job_rate = model["background"]["jobs_per_min"]
	for queue, (floor, per_worker) in QUEUE_FLOORS.items():
		if int(job_rate / per_worker) < floor:
			floors.append(
				f"{queue} queue: at least {floor} (the load alone gives {int(job_rate / per_worker)})"
			)
	return floors


def host_limit(inputs: CapacityInputs, needed: int) -> dict | None:
	"""The host's cores or memory cannot carry the gunicorn workers needed: say how to scale out."""
	limits = host_worker_limits(inputs)
	carried = min(limits["by_cpu"], limits["by_memory"])
	if needed <= carried:
		return None
	why = (
		f"this host carries {carried} ({limits['by_cpu']} by CPU: 2 x {inputs.host_cpu_cores:g} cores + 1; "
		f"{limits['by_memory']} by memory: {inputs.host_memory_gb:g} GB x {HOST_MEMORY_SHARE_FOR_WEB:g} / "
		f"{inputs.memory_per_worker_mb:g} MB per worker)"
	)
	action = (
		f"scale out to {math.ceil(needed / carried)} app servers behind a load balancer, or plan a bigger host"
		if carried >= 1
		else "plan a host with more memory, or smaller workers"
	)
	return {
		"limit": HOST_WEB_WORKERS,
		"needed": needed,
		"available": carried,
		"message": f"needs {needed} gunicorn workers but {why}: {action}",
	}


def pool_limit(minimum: int) -> dict | None:
	"""More connections than one MariaDB server serves well: say how to scale the database out."""
	if minimum <= DB_POOL_CEILING:
		return None
	return {
		"limit": MARIADB_POOL,
		"needed": minimum,
		"available": DB_POOL_CEILING,
		"message": (
			f"needs {minimum} database connections, past the {DB_POOL_CEILING} one MariaDB server serves well: "
			"scale the database out (read replicas for reports, a bigger server) or pool connections "
			"(ProxySQL, MaxScale) in front of it"
		),
	}


def recommend(inputs: CapacityInputs, model: dict) -> dict:
	"""Workers, queue workers and pool to run, the floors and limits behind them, and a verdict."""
	web, background = model["web"], model["background"]
	gunicorn = max(MIN_WEB_WORKERS, web["recommended_gunicorn_workers"])
	reports = report_work(inputs, web["peak_requests_per_min"])
	queues = {**background, "long": max(background["long"], reports["long_workers_for_reports"])}
	queues.pop("jobs_per_min")
	connections = db_connections(gunicorn, queues)
	limits = [limit for limit in (host_limit(inputs, gunicorn), pool_limit(connections["minimum"])) if limit]
	notes = []
	if reports["long_workers_for_reports"] > background["long"]:
		notes.append(
			f"long queue: {queues['long']} workers for batch reports of about {reports['seconds_per_report']:g} s "
			f"({inputs.avg_records_per_query:g} records each)"
		)
	if reports["seconds_per_report"] > GUNICORN_TIMEOUT_S:
		notes.append(
			f"a report of {reports['seconds_per_report']:g} s outlasts gunicorn's {GUNICORN_TIMEOUT_S} s timeout: "
			"run such reports as prepared reports on the long queue"
		)
	return {
		"gunicorn_workers": {
			"recommended": gunicorn,
			"minimum": max(MIN_WEB_WORKERS, web["minimum_gunicorn_workers"]),
		},
		"background": queues,
		"db_pool": {
			"recommended": max(connections["recommended_pool"], connections["minimum"]),
			"minimum": connections["minimum"],
		},
		"report": reports,
		"floors": floors_applied(model, web["recommended_gunicorn_workers"]),
		"notes": notes,
		"limits": limits,
		"fits": not limits,
		"verdict": verdict(gunicorn, queues, connections, limits),
	}


def verdict(gunicorn: int, queues: dict, connections: dict, limits: list[dict]) -> str:
	"""One sentence: it fits, or which hard limit it passes and what to do."""
	if limits:
		return "Exceeds a hard limit: " + "; ".join(limit["message"] for limit in limits) + "."
	workers = sum(queues[queue] for queue in QUEUE_FLOORS)
	pool = max(connections["recommended_pool"], connections["minimum"])
	return (
		f"Fits this host and one MariaDB: {gunicorn} gunicorn worker(s), {workers} RQ worker(s) and the "
		f"scheduler, a pool of {pool} connections."
	)
