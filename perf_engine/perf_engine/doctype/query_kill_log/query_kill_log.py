# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

from frappe.model.document import Document


class QueryKillLog(Document):
	"""One KILL QUERY, kept so operators see who stopped which statement and when."""
