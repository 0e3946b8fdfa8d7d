"""perf_engine's framework-free engine.

Every module here imports only the standard library, pymysql, redis, rq and psutil, and
takes its connections as arguments, so it runs the same inside a bench, from the
`perf-engine` CLI and under pytest. One exception: the index analysis's SQL reader
(`indexes/sql.py`) parses statements with sqlglot, a pure-Python parser with no
dependencies of its own.
"""
