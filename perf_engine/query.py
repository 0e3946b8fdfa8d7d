"""Public facade for other apps: walk big DocTypes in keyset batches and keep list queries cheap.

    from perf_engine.query import stream, process_in_batches, explain_list, get_list

The policy behind them lives in `perf_engine.services.query`, the keyset and EXPLAIN rules in
`perf_engine.core.query.keyset`, `perf_engine.core.indexes.plan` and `perf_engine.core.query.list_guard`.
"""

from perf_engine.core.errors import BatchFailed
from perf_engine.services.query import ListGuardError, explain_list, get_list, process_in_batches, stream

__all__ = ["BatchFailed", "ListGuardError", "explain_list", "get_list", "process_in_batches", "stream"]
