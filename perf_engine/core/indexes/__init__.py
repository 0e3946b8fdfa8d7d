"""Index analysis: what to add (schema and workload evidence), what is redundant or unused, and applying it online."""
