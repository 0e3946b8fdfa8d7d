# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

from frappe.model.document import Document


class Deadlock(Document):
	"""A deadlock of this site's database as InnoDB reported it; written by the deadlock check only."""
