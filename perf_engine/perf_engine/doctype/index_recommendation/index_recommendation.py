# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

from frappe.model.document import Document


class IndexRecommendation(Document):
	"""An index finding; created and updated by the analysis, applied through perf_engine.services.indexes."""
