# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from perf_engine.core.settings import Settings
from perf_engine.services import bridge


class PerfEngineSettings(Document):
	"""Single record holding perf_engine's schedules, limits, warm list and cleanup patterns."""

	def validate(self) -> None:
		"""Every value in its range (`perf_engine.core.settings.RANGES`); each problem is named."""
		with bridge.core_errors():
			problems = Settings.parse(self.as_dict()).problems()
		if problems:
			frappe.throw("; ".join(problems), frappe.ValidationError, title=_("Invalid settings"))
