"""Weekly index analysis, when `weekly_index_analysis` is switched on (off by default)."""

from perf_engine.services import footprint, indexes, settings


@footprint.metered("weekly_analysis")
def weekly_analysis() -> None:
	if settings.get().weekly_index_analysis:
		indexes.analyze_and_store()
