# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

from frappe.model.document import Document


class LoadTestKind(Document):
	"""One request kind's figures and SLA in a Load Test Run."""
