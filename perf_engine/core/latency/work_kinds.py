"""Kinds of work a monitor entry is, by the Frappe endpoint or job it ran, and endpoint names for SLAs.

Kinds: list views (`frappe.desk.reportview.get`, `get_count`, `get_list`, `frappe.client.get_list`,
`frappe.client.get_count`), forms (`frappe.desk.form.load.getdoc`), reports
(`frappe.desk.query_report.run` and prepared-report jobs), every other request, every other job.
"""

import re
from functools import lru_cache

LIST_VIEW, FORM, REPORT, REQUEST, JOB = "list_view", "form", "report", "request", "job"
KINDS = (LIST_VIEW, FORM, REPORT, REQUEST, JOB)
METHOD_KINDS = {
	"frappe.desk.reportview.get": LIST_VIEW,
	"frappe.desk.reportview.get_count": LIST_VIEW,
	"frappe.desk.reportview.get_list": LIST_VIEW,
	"frappe.client.get_list": LIST_VIEW,
	"frappe.client.get_count": LIST_VIEW,
	"frappe.desk.form.load.getdoc": FORM,
	"frappe.desk.query_report.run": REPORT,
}
PREPARED_REPORT_JOB = "frappe.core.doctype.prepared_report.prepared_report.generate_report"
# `/api/method/<m>` and v15's `/api/v2/method/<m>`.
METHOD_PATH = re.compile(r"^/api(?:/v\d+)?/method/([\w.]+)/?$")
# A document's name in a REST path would make one endpoint per document.
RESOURCE_DOC = re.compile(r"^(/api(?:/v\d+)?/(?:resource|document)/[^/]+)/.+$")
ENDPOINT_MAX_CHARS = 140
# A window holds few distinct paths and job methods many times over: classify each once.
CLASSIFIED_CACHE = 4096


def kind_of(transaction_kind: str, name: str) -> str:
	"""The kind of work of one monitor entry ("request" or "job", with its path or job method)."""
	if transaction_kind == "job":
		return REPORT if name == PREPARED_REPORT_JOB else JOB
	method = METHOD_PATH.match(name)
	return METHOD_KINDS.get(method.group(1), REQUEST) if method else REQUEST


def endpoint_of(name: str) -> str:
	"""The endpoint a path or job method belongs to: document names folded, bounded in length."""
	return RESOURCE_DOC.sub(r"\1/<name>", name)[:ENDPOINT_MAX_CHARS] or "(none)"


@lru_cache(maxsize=CLASSIFIED_CACHE)
def classify(transaction_kind: str, name: str) -> tuple[str, str]:
	"""(kind of work, endpoint) of one monitor entry, remembered for the names seen most."""
	return kind_of(transaction_kind, name), endpoint_of(name)
