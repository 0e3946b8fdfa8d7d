"""perf_engine's one continuous job: Frappe's "All" tick (every `scheduler_interval`, 4 minutes by
default) runs whatever is due, in one job a tick and without a Scheduled Job Log row.

Each part decides for itself whether it is due and costs a read or two when it is not: the stalled-job
check (every `stall_check_minutes`), the deadlock check (a status counter), the job statistics sample
and the snapshot (every `snapshot_minutes`), moving due RQ jobs onto their queues (bench-wide: the
first site's tick in a turn does it for all), the outbox sweep, and every 15 minutes the threshold
check (over the time since the last) and the Redis memory check (a cleanup under pressure). A part that fails is logged and the
others still run; the first failure is raised at the end, so the job shows as failed in RQ. Each run
notes itself and its worker time in perf_engine's own ledger (`services.footprint`).
"""

import logging
from collections.abc import Callable

from perf_engine.services import events, footprint, jobs, observatory, overview, redis_memory, thresholds

logger = logging.getLogger(__name__)

PARTS: tuple[tuple[str, Callable[[], object]], ...] = (
	("stalled-job check", jobs.check_stalls_when_due),
	("deadlock check", observatory.check_deadlocks),
	("snapshot", overview.snapshot_when_due),
	("due RQ jobs", jobs.promote_due_jobs_once_per_bench),
	("outbox sweep", events.sweep_outbox),
	("threshold check", thresholds.check_when_due),
	("Redis memory check", redis_memory.cleanup_when_due),
)


@footprint.metered("tick")
def run_due() -> None:
	"""Every part in turn; one failing part never keeps the others from running."""
	failed: Exception | None = None
	for name, part in PARTS:
		try:
			part()
		except Exception as exc:
			logger.exception("perf_engine tick: the %s failed", name)
			failed = failed or exc
	if failed is not None:
		raise failed
