"""Queries: keyset pagination, the list-query guard and unbounded statements."""
