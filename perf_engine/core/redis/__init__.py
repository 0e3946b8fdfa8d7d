"""Redis memory: what the cache and queue Redis hold, and the cleanup of stale keys."""
