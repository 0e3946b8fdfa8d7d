# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

from frappe.model.document import Document


class PerfEngineSettings(Document):
	"""Single record holding perf_engine's schedules, limits, warm list and cleanup patterns."""
