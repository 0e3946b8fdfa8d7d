# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

from frappe.model.document import Document


class PerfEventFailure(Document):
	"""One event delivery whose attempts ran out; written by `perf_engine.services.events`, kept as history."""
