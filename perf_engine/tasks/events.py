"""The event bus's minute sweep: events whose deliveries were not enqueued after their commit go out now."""

from perf_engine.services import events


def sweep_outbox() -> None:
	events.sweep_outbox()
