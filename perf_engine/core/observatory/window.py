"""Which stretch of time a top-queries answer covers: the last hour, the last day, a span, or since a moment."""

import re
from datetime import datetime, timezone

from perf_engine.core.errors import InvalidInput

NAMED_S = {"hour": 3600, "day": 86_400, "week": 7 * 86_400}
UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
SPAN = re.compile(r"^(\d{1,6})\s*([smhd])$")


def since_epoch(when: str | None, now: float) -> float:
	"""`hour` (the default), `day`, `week`, a span (`30m`, `6h`, `2d`) or an ISO date-time (this machine's
	time zone unless it names one): the epoch second the window starts; never in the future."""
	text = (when or "hour").strip().lower()
	if text in NAMED_S:
		return now - NAMED_S[text]
	if span := SPAN.match(text):
		return now - int(span.group(1)) * UNIT_S[span.group(2)]
	try:
		moment = datetime.fromisoformat((when or "").strip())
	except ValueError:
		raise InvalidInput(
			f"since: {when!r} is not hour, day, week, a span like 30m, 6h or 2d, nor a date-time like 2026-11-23 14:00"
		) from None
	if moment.tzinfo is None:
		moment = moment.astimezone()
	start = moment.astimezone(timezone.utc).timestamp()
	if start > now:
		raise InvalidInput(f"since: {when!r} is in the future")
	return start
