"""Run independent checks so one failing part never takes down the whole report."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from perf_engine.core.errors import ServiceUnavailable

logger = logging.getLogger(__name__)


@dataclass
class CheckResult:
	"""One check's outcome: its data when it ran; its error, and the service to blame, when it did not."""

	name: str
	ok: bool
	data: dict[str, Any] = field(default_factory=dict)
	error: str | None = None
	service: str | None = None

	def as_dict(self) -> dict[str, Any]:
		return {
			"name": self.name,
			"ok": self.ok,
			"data": self.data,
			"error": self.error,
			"service": self.service,
		}


def run_check(name: str, check: Callable[[], dict[str, Any]]) -> CheckResult:
	"""Run one check, turning any exception into a failed result that says why."""
	try:
		return CheckResult(name=name, ok=True, data=check())
	except ServiceUnavailable as exc:
		logger.warning("check %s failed: %s", name, exc)
		return CheckResult(name=name, ok=False, error=str(exc), service=exc.service)
	except Exception as exc:
		logger.warning("check %s failed: %s", name, exc)
		return CheckResult(name=name, ok=False, error=f"{type(exc).__name__}: {exc}")
