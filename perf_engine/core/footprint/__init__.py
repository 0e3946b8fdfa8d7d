"""What perf_engine itself costs a bench: its jobs' runs and worker time, its rows, its Redis keys and connections."""
