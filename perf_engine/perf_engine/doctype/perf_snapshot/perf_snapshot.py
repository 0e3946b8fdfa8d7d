# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

from frappe.model.document import Document


class PerfSnapshot(Document):
	"""One sample of the figures the workspace charts draw over time."""
