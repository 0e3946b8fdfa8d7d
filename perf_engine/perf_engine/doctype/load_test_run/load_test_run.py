# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document


class LoadTestRun(Document):
	"""One recorded load test; what it measured never changes after it is recorded."""

	def validate(self) -> None:
		# Only the calibration flags move after insert, and only through services.calibration (db_set).
		if not self.is_new():
			frappe.throw(_("A Load Test Run is a record of what was measured: it cannot be edited"))
