"""Job statistics: per job method runs, failures, run time and queue wait, failures grouped, worker utilization."""
