"""The ledger perf_engine's own jobs keep of what they cost: runs and worker time by hour, for the last day.

Each of perf_engine's scheduled jobs adds its run and its wall time, measured around the job itself,
to one hash per site and hour in the cache Redis (`<db_name>|perf_engine:self:jobs:<hour>`); the
bench-wide passes (moving due RQ jobs for every site) count in the queue Redis under
`perf_engine:self:bench_passes:<hour>`. Each key lives 25 hours, so a site holds at most 25 hashes
of a few fields each, and a day's reading is 24 keys in one round trip.
"""

from collections import defaultdict

import redis

JOBS = "perf_engine:self:jobs:{0}"
BENCH_PASSES = "perf_engine:self:bench_passes:{0}"
HOUR_S = 3600
DAY_HOURS = 24
KEEP_S = (DAY_HOURS + 1) * HOUR_S
RUNS, MILLISECONDS = "runs", "ms"


def hour_of(epoch_s: float) -> int:
	return int(epoch_s // HOUR_S)


def last_day(now: float) -> range:
	"""The 24 hours a day's reading sums: this one and the 23 before it."""
	return range(hour_of(now) - DAY_HOURS + 1, hour_of(now) + 1)


def record_job(client: redis.Redis, prefix: str, job: str, seconds: float, now: float) -> None:
	"""Add one run of `job` and its wall time to this hour of the site's ledger."""
	key = prefix + JOBS.format(hour_of(now))
	with client.pipeline(transaction=False) as pipe:
		pipe.hincrby(key, f"{job}:{RUNS}", 1)
		pipe.hincrby(key, f"{job}:{MILLISECONDS}", round(seconds * 1000))
		pipe.expire(key, KEEP_S)
		pipe.execute()


def read_jobs(client: redis.Redis, prefix: str, now: float) -> dict[str, dict]:
	"""Runs and worker seconds of each job over the last day, from the site's ledger."""
	with client.pipeline(transaction=False) as pipe:
		for hour in last_day(now):
			pipe.hgetall(prefix + JOBS.format(hour))
		hours = pipe.execute()
	totals: dict[str, dict] = defaultdict(lambda: {"runs": 0, "seconds": 0.0})
	for fields in hours:
		for field, value in fields.items():
			job, _, measure = field.decode(errors="replace").rpartition(":")
			if measure == RUNS:
				totals[job]["runs"] += int(value)
			elif measure == MILLISECONDS:
				totals[job]["seconds"] += int(value) / 1000
	return dict(sorted(totals.items()))


def record_bench_pass(client: redis.Redis, now: float) -> None:
	"""Count one bench-wide pass (due RQ jobs moved for every site) in this hour."""
	key = BENCH_PASSES.format(hour_of(now))
	with client.pipeline(transaction=False) as pipe:
		pipe.incr(key)
		pipe.expire(key, KEEP_S)
		pipe.execute()


def read_bench_passes(client: redis.Redis, now: float) -> int:
	"""Bench-wide passes over the last day, whichever site's tick made them."""
	counts = client.mget([BENCH_PASSES.format(hour) for hour in last_day(now)])
	return sum(int(count) for count in counts if count is not None)
