"""Which span job statistics cover: the last hour by default, a day, a duration or since a moment."""

import re
from datetime import datetime, timedelta, timezone, tzinfo

from perf_engine.core.errors import InvalidInput

HOUR_S = 3600
DEFAULT_S = HOUR_S
# Job statistics reach back at most a week: the snapshots hold them that long (and merging is paged).
MAX_S = 7 * 24 * HOUR_S
NAMED = {"hour": HOUR_S, "day": 24 * HOUR_S, "week": MAX_S}
UNITS_S = {"m": 60, "h": HOUR_S, "d": 24 * HOUR_S}
DURATION = re.compile(r"(\d{1,6})\s*([mhd])")


def since_of(text: str | None, zone: tzinfo | None, now: datetime) -> datetime:
	"""The start of the span (UTC): None means the last hour; "hour", "day", "week", a duration ("15m",
	"6h", "2d") or an ISO date-time (in `zone`, this machine's when None, unless it names its own).
	InvalidInput for anything else, a moment in the future, or more than a week back."""
	now = now.astimezone(timezone.utc)
	value = (text or "").strip().lower()
	if not value:
		return now - timedelta(seconds=DEFAULT_S)
	if value in NAMED:
		return now - timedelta(seconds=NAMED[value])
	if match := DURATION.fullmatch(value):
		since = now - timedelta(seconds=int(match[1]) * UNITS_S[match[2]])
	else:
		since = moment(text.strip(), zone)
	if since > now:
		raise InvalidInput(f"Job statistics since {text!r}: that is in the future")
	if (now - since).total_seconds() > MAX_S:
		raise InvalidInput(
			f"Job statistics since {text!r}: at most a week back (the snapshots keep them that long)"
		)
	return since


def moment(text: str, zone: tzinfo | None) -> datetime:
	try:
		since = datetime.fromisoformat(text)
	except ValueError:
		raise InvalidInput(
			f"Job statistics since {text!r}: give hour, day, week, a duration like 15m, 6h or 2d, or an ISO "
			"date-time like 2026-11-23 14:00"
		) from None
	if since.tzinfo is None:
		since = since.replace(tzinfo=zone) if zone else since.astimezone()
	return since.astimezone(timezone.utc)
