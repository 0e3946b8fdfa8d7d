"""Compare the recommendation with what the bench runs now.

Measures: `gunicorn_workers` and `background_workers` from common_site_config, live RQ
workers listening on each queue (alive by `jobs.workers`: key present, heartbeat recent), and MariaDB's
`max_connections`; gives each resource a verdict.
"""

from datetime import datetime, timezone

import pymysql
import redis

from perf_engine.core.jobs.workers import live_workers

UNDER = "under-provisioned"
FINE = "fine"
OVER = "over-provisioned"
# More than this many times the recommendation is capacity paid for and never used.
OVER_PROVISION_FACTOR = 1.5


def verdict(actual: int | None, minimum: int, recommended: int) -> str | None:
	"""Under below the minimum, over beyond 1.5 x the recommendation, fine between."""
	if actual is None:
		return None
	if actual < minimum:
		return UNDER
	if actual > recommended * OVER_PROVISION_FACTOR:
		return OVER
	return FINE


def off_target(rows: list[dict]) -> dict[str, list[str]]:
	"""Resources that are not fine, by verdict: {'under-provisioned': ['rq_workers_long'], ...}."""
	off: dict[str, list[str]] = {}
	for row in rows:
		if row["verdict"] and row["verdict"] != FINE:
			off.setdefault(row["verdict"], []).append(row["resource"])
	return off


def summary(rows: list[dict] | None) -> str:
	"""'fine' or the resources that are not, e.g. 'under-provisioned: rq_workers_long'."""
	if rows is None:
		return "unknown: bench comparison failed"
	return "; ".join(f"{v}: {', '.join(r)}" for v, r in off_target(rows).items()) or FINE


def live_workers_per_queue(
	connection: redis.Redis, queue_names: dict[str, str], now: datetime | None = None
) -> dict[str, int]:
	"""Workers alive now (`jobs.workers`' definition) per short queue name -> RQ name."""
	alive = live_workers(connection, queue_names.values(), now or datetime.now(timezone.utc))
	return {short: len(alive[rq_name]) for short, rq_name in queue_names.items()}


def max_connections(conn: pymysql.Connection) -> int:
	with conn.cursor() as cur:
		cur.execute("SELECT @@max_connections")
		return int(cur.fetchone()[0])


def compare(
	recommendation: dict, bench_config: dict, live_workers: dict[str, int], db_max_connections: int
) -> list[dict]:
	"""One row per resource: configured or live value, recommendation, verdict."""
	web = recommendation["gunicorn_workers"]
	background = recommendation["background"]
	rows = [
		{
			"resource": "gunicorn_workers",
			"actual": bench_config.get("gunicorn_workers"),
			"minimum": web["minimum"],
			"recommended": web["recommended"],
			"source": "common_site_config.json",
		}
	]
	queues = ("default", "short", "long")
	rows.append(
		{
			# A bench's background worker listens on all three queues: the busiest queue sets the
			# floor, running every queue's share in parallel sets the recommendation.
			"resource": "background_workers",
			"actual": bench_config.get("background_workers"),
			"minimum": max(background[queue] for queue in queues),
			"recommended": sum(background[queue] for queue in queues),
			"source": "common_site_config.json",
		}
	)
	for queue in queues:
		rows.append(
			{
				"resource": f"rq_workers_{queue}",
				"actual": live_workers.get(queue, 0),
				"minimum": background[queue],
				"recommended": background[queue],
				"source": "live RQ workers",
			}
		)
	for queue, config in (bench_config.get("workers") or {}).items():
		rows.append(
			{
				"resource": f"rq_workers_{queue}",
				"actual": live_workers.get(queue, 0),
				"minimum": 1,
				"recommended": max(1, int(config.get("background_workers", 1))),
				"source": "custom `workers` in common_site_config.json, live RQ workers",
			}
		)
	rows.append(
		{
			"resource": "mariadb_max_connections",
			"actual": db_max_connections,
			"minimum": recommendation["db_pool"]["minimum"],
			"recommended": recommendation["db_pool"]["recommended"],
			"source": "MariaDB @@max_connections",
		}
	)
	for row in rows:
		row["verdict"] = verdict(row["actual"], row["minimum"], row["recommended"])
	return rows
