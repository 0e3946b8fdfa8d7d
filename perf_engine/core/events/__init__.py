"""The event bus's framework-free parts: event names, subscribers, retry backoff, counters, the outbox."""
