# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

from frappe.model.document import Document


class PerfEngineWarmEntry(Document):
	"""One line of the hourly warm list: a DocType, a Single or a Report."""
