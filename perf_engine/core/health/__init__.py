"""Health: each part's verdict, the figures behind it, readiness, metrics and the doctor."""
