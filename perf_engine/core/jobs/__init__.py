"""Background jobs on RQ: queue status, listings, stalled-job detection, routing, fan-out."""
