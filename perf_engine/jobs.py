"""Public facade for other apps: route work by expected duration and fan out over big DocTypes.

    from perf_engine.jobs import enqueue, fan_out

The policy behind them lives in `perf_engine.services.jobs`.
"""

from perf_engine.services.jobs import enqueue, fan_out

__all__ = ["enqueue", "fan_out"]
