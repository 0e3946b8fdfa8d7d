"""Background jobs for this bench, through the core: queues, stalls, routed enqueue, fan-out.

Other apps reach `enqueue` and `fan_out` through the facade `perf_engine.jobs`; the
whitelisted methods in `perf_engine.api.jobs` and the scheduled check use the rest.
"""

import logging
from datetime import datetime

import frappe
from frappe import _
from frappe.utils import get_url_to_form
from frappe.utils.background_jobs import create_job_id, execute_job, generate_qname, get_queues_timeout

from perf_engine.core.errors import InvalidInput
from perf_engine.core.jobs import actions, fanout, listing, scheduled, stalls, worker_hosts
from perf_engine.core.jobs.advice import advise_all
from perf_engine.core.jobs.queue_status import queue_status as queue_status_rows
from perf_engine.core.jobs.routing import enqueue_routed
from perf_engine.core.settings import MINUTE_S
from perf_engine.perf_engine.doctype.stalled_job import stalled_job
from perf_engine.services import bridge, footprint, schedule, settings

logger = logging.getLogger(__name__)
LAST_RUN_KEY = "perf_engine:last_stall_check"


def check_stalls_when_due() -> None:
	"""A part of the tick: runs the check once `stall_check_minutes` have passed since the last run."""
	if schedule.due(LAST_RUN_KEY, settings.get().stall_check_minutes * MINUTE_S):
		check_stalls()


def remember_worker_host() -> None:
	"""Frappe's `before_job` hook, in each job's work horse: record where its worker runs, so a stall check on
	any host can tell a job still running elsewhere from an orphan. A failure is logged, never the job's."""
	try:
		worker_hosts.remember_running_job()
	except Exception as exc:
		logger.warning("could not record this worker's host: %s: %s", type(exc).__name__, exc)


def queue_status() -> list[dict]:
	"""Counts, oldest job age, workers and rebalancing advice for every queue of the bench."""
	rows = queue_status_rows(bridge.queue_redis(), bench_queues())
	return advise_all(rows, settings.get().advice_limits)


def list_jobs(queue: str, registry: str, page: int, page_size: int, method: str | None) -> dict:
	"""One page of this site's jobs in one of the bench's queues."""
	queues = bench_queues()
	if queue not in queues:
		raise InvalidInput(f"Unknown queue {queue}; this bench has {', '.join(queues)}")
	return listing.list_jobs(
		bridge.queue_redis(), queues[queue], registry, page, page_size, site=frappe.local.site, method=method
	)


def bench_queues() -> dict[str, str]:
	"""Every queue the bench defines (default, short, long and custom workers) -> RQ name."""
	return {queue: generate_qname(queue) for queue in get_queues_timeout()}


def own_job_id(job_id: str) -> str:
	"""Only this site's jobs may be touched from this site."""
	if not job_id or not job_id.startswith(f"{frappe.local.site}::"):
		frappe.throw(_("Job {0} does not belong to this site").format(job_id), frappe.PermissionError)
	return job_id


def scheduled_job_ids() -> list[str]:
	"""The RQ ids Frappe's scheduler deduplicates this site's scheduled job types by."""
	methods = frappe.get_all("Scheduled Job Type", filters={"stopped": 0}, pluck="method")
	return [create_job_id(f"scheduled_job::{method}") for method in methods]


def ours(finding: stalls.Finding) -> bool:
	"""This site's jobs, plus bench-wide queue findings: other sites report their own jobs."""
	return finding.kind == stalls.QUEUE_WAITING or finding.site == frappe.local.site


def check_stalls() -> list[dict]:
	"""Detect, keep as history, notify about new stalls, and remediate when that is switched on."""
	current = settings.get()
	findings = [
		f
		for f in stalls.detect(
			bridge.queue_redis(), bench_queues(), current.stall_limits, scheduled_job_ids=scheduled_job_ids()
		)
		if ours(f)
	]
	fresh = stalled_job.record(findings)
	if fresh:
		notify(fresh)
	if current.auto_remediate_stalls:
		remediate(findings)
	return [f.as_dict() for f in findings]


def notify(names: list[str]) -> None:
	"""One Notification Log per System Manager per new stall."""
	managers = frappe.get_all(
		"Has Role", filters={"role": "System Manager", "parenttype": "User"}, pluck="parent"
	)
	for name in names:
		stall = frappe.get_doc("Stalled Job", name)
		for user in set(managers) - {"Administrator", "Guest"}:
			frappe.get_doc(
				{
					"doctype": "Notification Log",
					"for_user": user,
					"type": "Alert",
					"document_type": "Stalled Job",
					"document_name": name,
					"subject": _("Stalled job on {0}: {1} ({2})").format(
						stall.queue, stall.method or stall.kind, stall.detail
					),
					"link": get_url_to_form("Stalled Job", name),
				}
			).insert(ignore_permissions=True)


def remediate(findings: list[stalls.Finding]) -> None:
	"""Stop this site's jobs far past their limit and requeue its orphans, recording what was done.

	Every run acts on every such finding, not only new ones: a stall first reported as a
	warning is acted on once it passes twice its limit."""
	connection = bridge.queue_redis()
	for finding in findings:
		if not finding.job_id or finding.action == stalls.WARN or finding.site != frappe.local.site:
			continue
		act = actions.stop_job if finding.action == stalls.STOP else actions.requeue_job
		try:
			outcome = act(connection, finding.job_id)["action"]
		except Exception as exc:
			logger.exception("remediating stalled job %s failed", finding.job_id)
			outcome = f"failed: {exc}"
		frappe.db.set_value("Stalled Job", stalled_job.finding_name(finding), "remediation", outcome)


def enqueue(
	method: str, estimated_duration_s: float, retries: int = 0, retry_interval_s: int = 60, **kwargs
) -> str:
	"""Enqueue a Frappe method on the queue its expected duration calls for; returns the job id."""
	return enqueue_method(method, estimated_duration_s, kwargs, retries, (retry_interval_s,))


def enqueue_method(
	method: str,
	estimated_duration_s: float,
	kwargs: dict,
	retries: int = 0,
	retry_intervals: tuple[int, ...] = (60,),
	at: datetime | None = None,
	user: str | None = None,
) -> str:
	"""A routed Frappe job (`execute_job` runs `method(**kwargs)` as `user`, by default this session's user),
	now or scheduled for `at`."""
	return enqueue_routed(
		bridge.queue_redis(),
		generate_qname,
		list(get_queues_timeout()),
		execute_job,
		estimated_s=estimated_duration_s,
		retries=retries,
		retry_intervals=retry_intervals,
		job_id=create_job_id(None),
		at=at,
		site=frappe.local.site,
		user=user or frappe.session.user,
		method=method,
		event=None,
		job_name=method,
		is_async=True,
		kwargs=kwargs,
	)


def fan_out(doctype: str, method: str, chunk_size: int = 1000, estimated_chunk_s: float = 120) -> dict:
	"""One job per chunk of a DocType's names; `method(after=..., upto=...)` processes a chunk."""
	return fanout.fan_out(
		bridge.db_connection(),
		bridge.queue_redis(),
		f"tab{doctype}",
		chunk_size,
		lambda after, upto: enqueue(method, estimated_chunk_s, after=after, upto=upto),
	)


def promote_due_jobs(now: float | None = None) -> dict[str, int]:
	"""Move the bench's scheduled RQ jobs that are due onto their queues (Frappe's workers run no RQ scheduler)."""
	return scheduled.promote_due(bridge.queue_redis(), bench_queues().values(), now)


def promote_due_jobs_once_per_bench() -> dict[str, int] | None:
	"""The tick's promotion: the first site's tick in a turn (half a tick long: all sites' ticks of one
	scheduler pass, never the next pass's) does it for the bench, the others return at once (None)."""
	moved = scheduled.promote_due_once_per_bench(
		bridge.queue_redis(), bench_queues().values(), turn_s=int(schedule.tick_s() / 2)
	)
	if moved is not None:
		footprint.note_bench_pass()
	return moved
