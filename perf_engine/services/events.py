"""The event bus for this site: publish inside a transaction, deliver to each subscriber after it commits.

`publish` writes the event to the *Perf Event Outbox* in the open transaction (one INSERT, no
Redis call). Once the transaction commits, each subscriber gets its own RQ job, routed by its
expected duration, and the row is deleted; a rollback removes the row and delivers nothing. If
the queue Redis is down at the commit, the row stays and the tick's sweep enqueues it once Redis
is back (`perf_engine.core.events.outbox`). A delivery that raises is rolled back and tried again after a
backoff until its attempts run out, then kept as a *Perf Event Failure*. Every delivery of
one event to one subscriber carries the same idempotency key, so a handler can ignore
repeats (at least once means a retry or a requeued job may deliver twice).
"""

import json
import logging
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import frappe
from frappe.utils import now_datetime
from rq import get_current_job

from perf_engine.core.events import counters, names, outbox, retry
from perf_engine.core.events.subscribers import Subscriber, subscribers_of
from perf_engine.core.jobs.routing import route
from perf_engine.core.ratelimit import RateLimitedLog
from perf_engine.services import bridge, jobs

HOOK = "perf_engine_events"
DELIVER = "perf_engine.services.events.deliver"
FAILURE_DOCTYPE = "Perf Event Failure"
OUTBOX_TABLE = "tabPerf Event Outbox"
RECENT_FAILURES = 20
DEFAULT_WINDOW_MINUTES = 60
ERROR_CHARS = 500
# The open transaction's events live on frappe.local: one list per request, job or thread.
PENDING = "perf_engine_pending_events"
logger = logging.getLogger(__name__)
uncounted = RateLimitedLog(logger)


@dataclass
class Publication:
	"""One published event with the subscribers it had when published."""

	event: str
	event_id: str
	payload: dict
	subscribers: list[Subscriber]
	outbox: str | None = None  # its outbox row, while its deliveries are not all enqueued
	user: str | None = None  # who published it, when the sweep delivers on the publisher's behalf


@dataclass
class PendingEvents:
	"""Events one transaction published, and the connection its callbacks were registered on."""

	publications: list[Publication] = field(default_factory=list)
	registered_on: object = None

	def take(self) -> list[Publication]:
		taken, self.publications, self.registered_on = self.publications, [], None
		return taken


@bridge.core_errors()
def publish(event: str, payload: dict | None = None, key: str | None = None) -> str:
	"""Deliver `payload` to every subscriber of `event` once this transaction commits; returns the event id.

	`key` names the fact (for example f"{doc.name}:{doc.modified}"): publishing the same key
	again gives subscribers the same idempotency key. Bad input (a name, a payload that is not small
	JSON, a malformed hook entry) is refused here with frappe.ValidationError, before the commit."""
	names.check_event_name(event)
	text = names.encode_payload(payload)
	subscribers = subscribers_of(event, frappe.get_hooks(HOOK) or {})
	publication = Publication(event, names.event_id(key), json.loads(text), subscribers)
	if subscribers:
		publication.outbox = store(publication, text)
	open_events().publications.append(publication)
	return publication.event_id


def store(publication: Publication, payload: str) -> str:
	"""The publication's outbox row in the publisher's transaction: one INSERT, gone with a rollback."""
	name, now, user = uuid.uuid4().hex, now_datetime(), frappe.session.user
	frappe.db.sql(
		f"""INSERT INTO `{OUTBOX_TABLE}` (name, creation, modified, modified_by, owner, docstatus, idx,
			event, event_id, payload, subscribers, published_at)
		VALUES (%(name)s, %(now)s, %(now)s, %(user)s, %(user)s, 0, 0,
			%(event)s, %(event_id)s, %(payload)s, %(subscribers)s, %(now)s)""",
		{
			"name": name,
			"now": now,
			"user": user,
			"event": publication.event,
			"event_id": publication.event_id,
			"payload": payload,
			"subscribers": outbox.encode_subscribers(publication.subscribers),
		},
	)
	return name


def open_events() -> PendingEvents:
	"""This transaction's events; the first registers the commit and rollback callbacks (as the cache does)."""
	pending = getattr(frappe.local, PENDING, None)
	if pending is None:
		pending = PendingEvents()
		setattr(frappe.local, PENDING, pending)
	bridge.follow_transaction(pending, deliver_committed, forget_events)
	return pending


def forget_events() -> None:
	"""After rollback: nothing happened, so nothing is delivered."""
	pending = getattr(frappe.local, PENDING, None)
	if pending is not None:
		pending.take()


def deliver_committed() -> None:
	"""After commit: the published counts, then claim this transaction's outbox rows, enqueue one job per
	subscriber, delete the rows whose jobs all went out and commit that. Never raises into the commit."""
	pending = getattr(frappe.local, PENDING, None)
	publications = pending.take() if pending is not None else []
	if not publications:
		return
	count([(p.event, counters.PUBLISHED) for p in publications])
	rows = [p.outbox for p in publications if p.outbox]
	if not rows:
		return
	try:
		claimed = {row.name for row in outbox.claim(bridge.db_connection(), OUTBOX_TABLE, rows)}
	except Exception as exc:  # the rows stay: the sweep enqueues them after their grace
		logger.error("outbox rows of %s events not claimed, the sweep will enqueue them: %s", len(rows), exc)
		return
	# A row the sweep holds or already sent is the sweep's to deliver: skipping it avoids a duplicate.
	sent = enqueue_all([p for p in publications if p.outbox in claimed], "the outbox sweep will retry")
	try:
		outbox.delete(bridge.db_connection(), OUTBOX_TABLE, sent)
	except Exception as exc:  # the sweep sends these again, with the same idempotency keys
		logger.error("outbox rows of %s enqueued events not deleted: %s", len(sent), exc)
		return
	# Frappe pops each after-commit callback before running it, so this nested commit runs the
	# callbacks still queued after this one (each once, in order) and then returns here.
	frappe.db.commit()


def sweep_outbox() -> dict[str, int]:
	"""A part of the tick: enqueue the outbox rows past their grace (a bounded batch, oldest first) with the
	idempotency keys they were published with, delete them, commit; rows it cannot send wait for the next."""
	rows = outbox.claim_due(bridge.db_connection(), OUTBOX_TABLE, now_datetime())
	publications = [Publication(r.event, r.event_id, r.payload, r.subscribers, r.name, r.owner) for r in rows]
	sent = enqueue_all(publications, "the next sweep will retry")
	outbox.delete(bridge.db_connection(), OUTBOX_TABLE, sent)
	frappe.db.commit()
	return {"claimed": len(rows), "sent": len(sent)}


def enqueue_all(publications: list[Publication], retried_by: str) -> list[str]:
	"""Every delivery of each publication; the outbox rows of those fully enqueued. Stops at the first
	failure with one log line: the queue Redis is down, every further try would wait for it too."""
	sent = []
	for index, publication in enumerate(publications):
		try:
			for subscriber in publication.subscribers:
				enqueue_delivery(publication, subscriber, attempt=1)
		except Exception as exc:
			logger.error(
				"%s events (first %s, %s) not enqueued, %s: %s",
				len(publications) - index,
				publication.event,
				publication.event_id,
				retried_by,
				exc,
			)
			break
		sent.append(publication.outbox)
	return sent


def enqueue_delivery(
	publication: Publication, subscriber: Subscriber, attempt: int, at: datetime | None = None
) -> str:
	"""The delivery job of one event to one subscriber, on the queue its expected duration calls for, run as
	the publisher (this session's user unless the sweep names the row's owner)."""
	kwargs = {
		"event": publication.event,
		"event_id": publication.event_id,
		"payload": publication.payload,
		"handler": subscriber.handler,
		"estimated_duration_s": subscriber.estimated_duration_s,
		"attempts": subscriber.attempts,
		"attempt": attempt,
	}
	return jobs.enqueue_method(DELIVER, subscriber.estimated_duration_s, kwargs, at=at, user=publication.user)


def deliver(
	event: str,
	event_id: str,
	payload: dict,
	handler: str,
	estimated_duration_s: float,
	attempts: int,
	attempt: int,
) -> None:
	"""The delivery job: call the handler and commit; on failure roll back, then retry or record."""
	key = names.idempotency_key(event, event_id, handler)
	try:
		frappe.get_attr(handler)(payload, event=event, idempotency_key=key)
		frappe.db.commit()
	except Exception as exc:
		frappe.db.rollback()
		publication = Publication(event, event_id, payload, [])
		failed(publication, Subscriber(handler, estimated_duration_s, attempts), attempt, exc)
		return
	count([(event, counters.DELIVERED)])


def failed(publication: Publication, subscriber: Subscriber, attempt: int, exc: Exception) -> None:
	"""A delivery raised: schedule the next attempt after its backoff, or keep the failure as history
	(also when the retry cannot be scheduled, so a failure is never only in a log)."""
	if retry.should_retry(attempt, subscriber.attempts):
		at = datetime.now(timezone.utc) + timedelta(seconds=retry.backoff_s(attempt))
		try:
			enqueue_delivery(publication, subscriber, attempt + 1, at=at)
		except Exception as unscheduled:
			logger.error(
				"event %s to %s: retry not scheduled: %s", publication.event, subscriber.handler, unscheduled
			)
		else:
			count([(publication.event, counters.RETRIED)])
			logger.warning(
				"event %s to %s failed on attempt %s of %s, retrying: %s",
				publication.event,
				subscriber.handler,
				attempt,
				subscriber.attempts,
				exc,
			)
			return
	record_failure(publication, subscriber, attempt, exc)
	count([(publication.event, counters.FAILED)])


def record_failure(publication: Publication, subscriber: Subscriber, attempt: int, exc: Exception) -> str:
	"""One *Perf Event Failure* for a delivery whose attempts ran out; committed at once."""
	job = get_current_job()
	doc = frappe.get_doc(
		{
			"doctype": FAILURE_DOCTYPE,
			"event": publication.event,
			"subscriber": subscriber.handler,
			"event_id": publication.event_id,
			"idempotency_key": names.idempotency_key(
				publication.event, publication.event_id, subscriber.handler
			),
			"attempts": attempt,
			"queue": route(subscriber.estimated_duration_s, list(jobs.bench_queues()))[0],
			"job_id": job.id if job else None,
			"failed_at": now_datetime(),
			"error": f"{type(exc).__name__}: {exc}"[:ERROR_CHARS],
			"traceback": "".join(traceback.format_exception(exc)),
			"payload": frappe.as_json(publication.payload),
		}
	).insert(ignore_permissions=True)
	frappe.db.commit()
	logger.error(
		"event %s to %s failed after %s attempts: %s", publication.event, subscriber.handler, attempt, exc
	)
	return doc.name


def count(outcomes: list[tuple[str, str]]) -> None:
	"""Add to the per-minute counters; never raises: a cache Redis outage must not fail a delivery."""
	try:
		counters.count(bridge.cache_redis(), bridge.cache_prefix(), outcomes)
	except Exception as exc:
		uncounted.error("event counters not updated: %s", exc)


def activity(window_minutes: int = DEFAULT_WINDOW_MINUTES, now: float | None = None) -> dict:
	"""Per event, how many were published, delivered, retried and failed in the window; the latest failures;
	how many published events wait for the outbox sweep (capped)."""
	events = counters.activity(bridge.cache_redis(), bridge.cache_prefix(), window_minutes, now)
	recent = frappe.get_all(
		FAILURE_DOCTYPE,
		fields=["name", "event", "subscriber", "attempts", "queue", "error", "failed_at"],
		order_by="failed_at desc",
		limit=RECENT_FAILURES,
	)
	waiting = outbox.waiting(bridge.db_connection(), OUTBOX_TABLE, now_datetime())
	return {
		"window_minutes": window_minutes,
		"events": events,
		"recent_failures": recent,
		"outbox": {"waiting": waiting, "cap": outbox.WAITING_CAP, "grace_s": outbox.GRACE_S},
	}
