"""Scheduled history: a snapshot every `snapshot_minutes` and daily pruning past retention."""

from perf_engine.services import overview


def snapshot_when_due() -> None:
	overview.snapshot_when_due()


def prune_history() -> None:
	overview.prune_history()
