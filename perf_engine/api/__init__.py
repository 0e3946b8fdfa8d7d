"""Whitelisted methods of perf_engine, reachable as `perf_engine.api.<name>` over REST
(`/api/method/perf_engine.api.<name>`) and from `bench execute`.

Each capability keeps its methods in its own module below; this package re-exports them
so the public path stays short.
"""

from perf_engine.api.cache import warm_caches
from perf_engine.api.capacity import calculate_capacity, check_threshold, get_host_resources
from perf_engine.api.checklist import readiness
from perf_engine.api.events import get_event_activity
from perf_engine.api.indexes import (
	analyze_indexes,
	apply_index_recommendation,
	dismiss_index_recommendation,
	get_index_overview,
	trial_ignore_index,
)
from perf_engine.api.jobs import (
	detect_stalled_jobs,
	get_fanout_progress,
	get_job_stats,
	get_jobs,
	get_queue_status,
	requeue_job,
	stop_job,
)
from perf_engine.api.load_test import apply_calibration, find_capacity_command, record_load_test_run
from perf_engine.api.observatory import deadlocks, explain_query, kill_query, running_queries, top_queries
from perf_engine.api.overview import (
	get_footprint,
	get_health,
	metrics,
	queued_jobs_card,
	redis_used_card,
	violations_24h_card,
)
from perf_engine.api.redis_memory import cleanup_redis, get_redis_memory
from perf_engine.api.sla import get_sla
