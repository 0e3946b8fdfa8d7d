"""Weekly index analysis, when `weekly_index_analysis` is switched on (off by default)."""

from perf_engine import indexes
from perf_engine.services import settings


def weekly_analysis() -> None:
	if settings.get().weekly_index_analysis:
		indexes.analyze_and_store()
