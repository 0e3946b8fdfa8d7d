# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

from frappe.model.document import Document


class LoadTestStep(Document):
	"""One held rate of a capacity search: offered and served rate, percentiles, failures, its breach."""
