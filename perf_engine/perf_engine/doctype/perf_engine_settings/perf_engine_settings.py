# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

from frappe.model.document import Document

from perf_engine import bridge
from perf_engine.core.indexes.apply import Limits
from perf_engine.core.jobs.workers import HEARTBEAT_GRACE_S, check_heartbeat_grace


class PerfEngineSettings(Document):
	"""Single record holding perf_engine's schedules, limits, warm list and cleanup patterns."""

	def validate(self) -> None:
		"""Refuse limits outside their ranges (index apply, heartbeat grace) with the core's own messages.

		An empty heartbeat grace takes the default (sites installed before the setting existed)."""
		if self.get("heartbeat_grace_seconds") is None:
			self.heartbeat_grace_seconds = HEARTBEAT_GRACE_S
		with bridge.core_errors():
			Limits(self.ddl_lock_wait_timeout, self.ddl_retries)
			check_heartbeat_grace(self.heartbeat_grace_seconds)
