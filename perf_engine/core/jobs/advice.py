"""Rebalancing advice per queue from its status row: more workers, fewer, or none listening."""

from dataclasses import dataclass

OK = "ok"
ADD = "add workers"
REMOVE = "fewer workers"
NO_WORKER = "no worker"


@dataclass(frozen=True)
class AdviceLimits:
	backlog_limit: int = 500
	queue_wait_limit_s: float = 600


def advise(row: dict, limits: AdviceLimits) -> dict:
	"""What to do about one queue, and why, in words an operator can act on."""
	workers = row["workers"]
	age = row.get("oldest_queued_age_s") or 0
	if row["queued"] and not workers["total"]:
		return {
			"advice": NO_WORKER,
			"severity": "critical",
			"reason": f"{row['queued']} job(s) queued and no worker listening: start `bench worker --queue {row['queue']}`",
		}
	if row["queued"] > limits.backlog_limit or age > limits.queue_wait_limit_s:
		reason = f"{row['queued']} queued (limit {limits.backlog_limit}), oldest waiting {age:.0f} s (limit {limits.queue_wait_limit_s:.0f} s)"
		return {"advice": ADD, "severity": "warning", "reason": reason}
	if workers["total"] > 1 and not workers["busy"] and not row["queued"]:
		return {
			"advice": REMOVE,
			"severity": "info",
			"reason": f"{workers['total']} workers idle with nothing queued",
		}
	return {"advice": OK, "severity": "ok", "reason": "keeping up"}


def advise_all(rows: list[dict], limits: AdviceLimits) -> list[dict]:
	"""Each queue status row with its advice, severity and reason added."""
	return [{**row, **advise(row, limits)} for row in rows]
