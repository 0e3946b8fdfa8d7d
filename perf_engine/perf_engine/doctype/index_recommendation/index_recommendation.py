# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model import no_value_fields
from frappe.model.document import Document


class IndexRecommendation(Document):
	"""An index finding; written by the analysis only, applied through perf_engine.services.indexes.

	Every field is read-only in Desk, and this controller makes that true for every route
	(REST PUT, frappe.client.set_value, a script's save): only the analysis, which sets
	`flags.from_analysis`, may create or change one. The apply job records its outcome with
	db_set, which skips controllers on purpose."""

	def validate(self) -> None:
		if self.flags.from_analysis:
			return
		if self.is_new():
			frappe.throw(
				_("Index Recommendations are created by the index analysis only"), frappe.PermissionError
			)
		changed = self.changed_fields()
		if changed:
			frappe.throw(
				_(
					"Index Recommendations are written by the index analysis only; refused changes to: {0}"
				).format(", ".join(changed)),
				frappe.PermissionError,
			)

	def changed_fields(self) -> list[str]:
		"""Fields whose value differs from the stored one, compared as their field types."""
		before = self.get_doc_before_save()
		return [
			df.fieldname
			for df in self.meta.fields
			if df.fieldtype not in no_value_fields
			and self.typed(self.get(df.fieldname), df) != self.typed(before.get(df.fieldname), df)
		]

	def typed(self, value, df):
		"""The value as its field type; empty stays None (casting None to a Datetime gives now)."""
		return None if value in (None, "") else self.cast(value, df)
