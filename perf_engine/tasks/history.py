"""Daily pruning of history: rows past their retention and the generation counters of deleted DocTypes."""

from perf_engine.services import cache, footprint, overview


@footprint.metered("prune_history")
def prune_history() -> None:
	# Rows and counters are pruned independently: a database error still lets the counters go, and
	# the error is raised once both ran, so the job's log shows it.
	try:
		overview.prune_history()
	finally:
		cache.prune_generations()
