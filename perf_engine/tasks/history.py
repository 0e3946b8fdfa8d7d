"""Scheduled history: a snapshot every `snapshot_minutes`, the deadlock check each minute, daily pruning."""

from perf_engine.services import observatory, overview


def snapshot_when_due() -> None:
	# The deadlock check rides this minute tick instead of a job of its own: one status counter a
	# minute, the InnoDB status only when it grew (at most once a minute); it never raises.
	observatory.check_deadlocks()
	overview.snapshot_when_due()


def prune_history() -> None:
	overview.prune_history()
