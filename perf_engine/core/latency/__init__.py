"""Latency: what each kind of work costs, its percentiles, thresholds and SLA windows."""
