"""The event bus's framework-free parts: what an event and its subscribers are, and how delivery is counted.

- `names.py`: event names, payloads (JSON, bounded), event ids and idempotency keys.
- `subscribers.py`: hook entries read into subscribers with an expected duration and bounded attempts.
- `retry.py`: when a failed delivery is tried again (exponential backoff with a cap).
- `counters.py`: published, delivered, retried and failed counts per event in one-minute buckets.
"""
