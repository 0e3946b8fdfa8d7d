# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

import hashlib

import frappe
from frappe.model.document import Document
from frappe.utils import now_datetime

from perf_engine.core.jobs.stalls import QUEUE_WAITING, Finding


class StalledJob(Document):
	"""One stall, recorded once and refreshed while it lasts."""


def finding_name(finding: Finding) -> str:
	"""The same stall keeps the same record: keyed by kind and job, or by queue for a waiting queue."""
	# A waiting queue's head job changes as workers drain it, while the stall stays the same.
	subject = finding.queue if finding.kind == QUEUE_WAITING or not finding.job_id else finding.job_id
	key = f"{finding.kind}|{subject}"
	return hashlib.sha1(key.encode()).hexdigest()[:12]


def record(findings: list[Finding]) -> list[str]:
	"""Store new stalls, refresh known ones, resolve those gone; returns names of new or reopened stalls."""
	seen_now, fresh = set(), []
	now = now_datetime()
	for finding in findings:
		name = finding_name(finding)
		seen_now.add(name)
		values = {**finding.as_dict(), "last_seen": now, "status": "Open"}
		if frappe.db.exists("Stalled Job", name):
			if frappe.db.get_value("Stalled Job", name, "status") == "Resolved":
				fresh.append(name)
			frappe.db.set_value("Stalled Job", name, values)
		else:
			doc = frappe.get_doc({"doctype": "Stalled Job", "name": name, "first_seen": now, **values})
			doc.insert(ignore_permissions=True, set_name=name)
			fresh.append(name)
	for name in frappe.get_all(
		"Stalled Job", filters={"status": "Open", "name": ("not in", list(seen_now) or [""])}, pluck="name"
	):
		frappe.db.set_value("Stalled Job", name, "status", "Resolved")
	return fresh
