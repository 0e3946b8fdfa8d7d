# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

from frappe.model.document import Document

from perf_engine import bridge
from perf_engine.core.indexes.apply import Limits


class PerfEngineSettings(Document):
	"""Single record holding perf_engine's schedules, limits, warm list and cleanup patterns."""

	def validate(self) -> None:
		"""Refuse index-apply limits outside their ranges, with the message the core gives everywhere."""
		with bridge.core_errors():
			Limits(self.ddl_lock_wait_timeout, self.ddl_retries)
