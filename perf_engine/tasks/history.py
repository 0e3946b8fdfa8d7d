"""Scheduled history: a snapshot every `snapshot_minutes`, the deadlock check each minute, daily pruning
(history rows and the generation counters of deleted DocTypes)."""

from perf_engine.services import cache, observatory, overview


def snapshot_when_due() -> None:
	# The deadlock check rides this minute tick instead of a job of its own: one status counter a
	# minute, the InnoDB status only when it grew (at most once a minute); it never raises.
	observatory.check_deadlocks()
	overview.snapshot_when_due()


def prune_history() -> None:
	# Rows and counters are pruned independently: a database error still lets the counters go, and
	# the error is raised once both ran, so the job's log shows it.
	try:
		overview.prune_history()
	finally:
		cache.prune_generations()
