# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

from dataclasses import asdict

from frappe.model.document import Document

from perf_engine.core.settings import Settings
from perf_engine.services import bridge
from perf_engine.services.settings import stored_values


class PerfEngineSettings(Document):
	"""Single record holding perf_engine's schedules, limits, warm list and cleanup patterns."""

	def validate(self) -> None:
		"""Every value in its range (`perf_engine.core.settings`), each problem named; an empty
		field takes its default (sites installed before the field existed)."""
		with bridge.core_errors():
			settings = Settings.from_values(stored_values(self))
		for name, default in asdict(settings).items():
			if self.get(name) is None and not isinstance(default, tuple):
				self.set(name, default)
