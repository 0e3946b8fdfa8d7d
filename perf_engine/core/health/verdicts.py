"""The words every health verdict is written in: the statuses and their order, a part, one check."""

OK, WARNING, CRITICAL, UNKNOWN = "ok", "warning", "critical", "unknown"
SEVERITY = {OK: 0, UNKNOWN: 1, WARNING: 2, CRITICAL: 3}
KIB = 1024
MIB = 1024**2
GIB = 1024**3


def size(count: float) -> str:
	"""Bytes in the largest unit under them, to a tenth: '256 KiB', '3.5 MiB', '96 MiB', '2.50 GiB'."""
	if count >= GIB:
		return f"{count / GIB:.2f} GiB"
	scale, unit = (MIB, "MiB") if count >= MIB else (KIB, "KiB")
	return f"{count / scale:.1f}".removesuffix(".0") + f" {unit}"


def part(status: str, reason: str, action: str = "") -> dict:
	return {"status": status, "reason": reason, "action": action}


def check(
	name: str,
	status: str,
	value,
	threshold: str,
	reason: str,
	action: str = "",
	*,
	unit: str | None,
	limit,
) -> dict:
	"""One measured line of a subsystem: its value and the limit it is judged by, both in `unit` (the
	threshold says the same in words), its verdict and action. A value without a unit (on/off) has none."""
	return {
		"check": name,
		"status": status,
		"value": value,
		"unit": unit,
		"limit": limit,
		"threshold": threshold,
		"reason": reason,
		"action": action,
	}


def from_checks(checks: list[dict]) -> dict:
	"""A subsystem as its worst checks: their reasons and actions, and every check below."""
	status = max((c["status"] for c in checks), key=SEVERITY.get)
	worst = [c for c in checks if c["status"] == status]
	reason = "; ".join(c["reason"] for c in worst)
	action = " ".join(dict.fromkeys(c["action"] for c in worst if c["action"]))
	return {**part(status, reason, action), "checks": checks}
