"""Public facade for other apps: publish an event, delivered to every subscriber after the commit.

    from perf_engine.events import publish

    publish("sales_invoice.submitted", {"name": doc.name}, key=f"{doc.name}:{doc.modified}")

Subscribers are declared in any app's hooks (`perf_engine_events`); the policy lives in
`perf_engine.services.events`.
"""

from perf_engine.services.events import publish

__all__ = ["publish"]
