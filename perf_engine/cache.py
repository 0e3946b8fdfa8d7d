"""Public facade for other apps: cached documents, lists and reports with O(1) invalidation.

    from perf_engine.cache import get_cached_doc, get_cached_list, get_cached_report

How values are cached and invalidated after commit lives in `perf_engine.services.cache`.
"""

from perf_engine.services.cache import get_cached_doc, get_cached_list, get_cached_report

__all__ = ["get_cached_doc", "get_cached_list", "get_cached_report"]
