# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

import frappe
from frappe.tests.utils import FrappeTestCase

from perf_engine.core.jobs.stalls import REQUEUE, WARN, WORKER_LOST, Finding
from perf_engine.perf_engine.doctype.stalled_job.stalled_job import finding_name, record
from perf_engine.services.jobs import remediate


def make_finding(
	kind: str, job_id: str | None, queue: str = "default", age_s: float = 700, host: str | None = None
) -> Finding:
	"""A finding as the core reports it, for this site."""
	return Finding(
		kind=kind,
		queue=queue,
		job_id=job_id,
		method="app.tasks.sync",
		site=frappe.local.site,
		worker="w1",
		age_s=age_s,
		action=REQUEUE if kind == "orphaned" else WARN,
		detail="test",
		host=host,
	)


class TestStalledJob(FrappeTestCase):
	def setUp(self):
		frappe.db.delete("Stalled Job")

	def test_same_stall_is_recorded_once_and_refreshed(self):
		"""A stall seen on two runs is one record, new only the first time, with its age refreshed."""
		orphan = make_finding("orphaned", f"{frappe.local.site}::o1")
		self.assertEqual(record([orphan]), [finding_name(orphan)])
		self.assertEqual(record([make_finding("orphaned", orphan.job_id, age_s=900)]), [])
		self.assertEqual(frappe.db.count("Stalled Job", {"job_id": orphan.job_id}), 1)
		self.assertEqual(frappe.db.get_value("Stalled Job", finding_name(orphan), "age_s"), 900)

	def test_waiting_queue_is_one_stall_while_its_head_job_changes(self):
		"""A queue that keeps waiting is the same record although its oldest job is a different one each run."""
		first = make_finding("queue_waiting", "s::head-1")
		second = make_finding("queue_waiting", "s::head-2")
		self.assertEqual(finding_name(first), finding_name(second))
		record([first])
		self.assertEqual(record([second]), [])
		self.assertEqual(frappe.db.get_value("Stalled Job", finding_name(first), "job_id"), "s::head-2")

	def test_gone_stall_resolves_and_reopens_as_new(self):
		"""A stall missing from a run is Resolved; if it comes back it is reported as new again."""
		orphan = make_finding("orphaned", f"{frappe.local.site}::o2")
		other = make_finding("long_running", f"{frappe.local.site}::l1")
		record([orphan, other])
		record([other])
		self.assertEqual(frappe.db.get_value("Stalled Job", finding_name(orphan), "status"), "Resolved")
		self.assertEqual(frappe.db.get_value("Stalled Job", finding_name(other), "status"), "Open")
		self.assertEqual(record([orphan, other]), [finding_name(orphan)])
		self.assertEqual(frappe.db.get_value("Stalled Job", finding_name(orphan), "status"), "Open")

	def test_a_lost_worker_is_a_warning_never_remediated(self):
		"""A job whose worker went silent but may still run is recorded as worker_lost with the host it may run on,
		and auto-remediation leaves it."""
		lost = make_finding(WORKER_LOST, f"{frappe.local.site}::lost", host="app-server-2")
		record([lost])
		values = frappe.db.get_value(
			"Stalled Job", finding_name(lost), ["kind", "action", "host"], as_dict=True
		)
		self.assertEqual((values.kind, values.action, values.host), (WORKER_LOST, WARN, "app-server-2"))
		remediate([lost])
		self.assertFalse(frappe.db.get_value("Stalled Job", finding_name(lost), "remediation"))
