import contextlib
import json
import os
import time
from collections.abc import Iterator

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils.password import update_password

from perf_engine.core.jobstats import failures
from perf_engine.core.jobstats.aggregate import JobAggregate
from perf_engine.core.jobstats.keys import MINUTE, RETAIN_MINUTES, RETAIN_S, SAMPLING_LOCK, minute_of
from perf_engine.services import bridge, jobs
from perf_engine.tests import browser, rest

PASSWORD = "Perf-Engine-Desk-Test-1"
REDIS_PAGE = '.page-container[data-page-route="redis-memory"]'
# The route, and a JS expression that is true once its content has rendered.
ROUTES = {
	# The health block renders inside a Custom HTML Block's shadow root, "perf_engine itself" among its parts.
	"workspace": (
		"/app/perf-engine",
		"Array.from(document.querySelectorAll('*')).some(e => e.shadowRoot && e.shadowRoot.querySelector('.health-parts .frappe-card .perf-engine-check')"
		" && e.shadowRoot.querySelector('.health-parts').textContent.includes('perf_engine itself')"
		" && e.shadowRoot.querySelectorAll('.readiness-lines tbody tr').length === 11)",
	),
	# The queue cards, the Jobs section's queue table, and its utilization chart or the line saying why not.
	"queue-status": (
		"/app/queue-status",
		"!!document.querySelector('.queue-cards .frappe-card') && !!document.querySelector('.job-queues table')"
		" && document.querySelector('.job-utilization-chart').childElementCount > 0",
	),
	"index-analysis": (
		"/app/index-analysis",
		"document.querySelectorAll('.page-container[data-page-route=\"index-analysis\"] table').length > 0",
	),
	# The summary with its pressure pill, and the breakdown of this site's keys with rows.
	"redis-memory": (
		"/app/redis-memory",
		f"!!document.querySelector('{REDIS_PAGE} .redis-summary .progress .progress-bar')"
		f" && document.querySelectorAll('{REDIS_PAGE} .redis-breakdown tbody tr').length > 0",
	),
	# The three periods (window, day, week), each with its table or its "no traffic" line.
	"sla-percentiles": (
		"/app/sla-percentiles",
		"document.querySelectorAll('.sla-percentiles [data-period] h5').length === 3",
	),
	"settings": (
		"/app/perf-engine-settings",
		"!!document.querySelector('[data-fieldname=\"stall_check_minutes\"] input')",
	),
	# Last: leaving an unsaved new form would raise Chromium's beforeunload prompt.
	"capacity-model": (
		"/app/capacity-model/new",
		"!!document.querySelector('[data-fieldname=\"concurrent_users\"] input')",
	),
}
# What the Redis page's pressure pill says with a memory limit and without one.
PRESSURE_PILL = (
	f"document.querySelector('{REDIS_PAGE} .redis-summary .indicator-pill')?.textContent.trim() || ''"
)
# Sampled minutes of job history that Queue Status is shown with, per round: one is too few to chart.
JOB_MINUTES = {"limit": 1, "no-limit": 3}
JOB_CHART = "!!document.querySelector('.job-utilization-chart svg')"
NO_JOB_HISTORY = (
	"document.querySelector('.job-utilization-chart').innerText.includes('Not enough history yet')"
)
# Desk connects to Frappe's socket.io server, which a test run does not start; leaving the
# unsaved new form of the previous round makes Chromium block Desk's "leave page?" prompt.
EXPECTED_NOISE = ("socket.io", "WebSocket", "Blocked attempt to show a 'beforeunload' confirmation panel")
MB = 1024 * 1024


def bench_cache_maxmemory() -> int:
	"""What a stock bench's config/redis_cache.conf sets: 5 % of RAM, at least 50 MB (bench's
	`get_max_redis_memory`), in bytes."""
	ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
	return max(50, int(ram / MB * 0.05)) * MB


@contextlib.contextmanager
def cache_redis_maxmemory(limit: int) -> Iterator[None]:
	"""Set the cache Redis's maxmemory for a while (never below what it holds), then restore it.
	The eviction policy is left as it is."""
	client = bridge.cache_redis()
	before = client.config_get("maxmemory")["maxmemory"]
	if limit:
		limit = max(limit, client.info("memory")["used_memory"] * 2)
	client.config_set("maxmemory", limit)
	try:
		yield
	finally:
		client.config_set("maxmemory", before)


@contextlib.contextmanager
def job_history(minutes: int) -> Iterator[None]:
	"""The bench's job history is only `minutes` half-busy minutes, with sampling held off so the page adds
	none; the stored minutes are put back after."""
	client = bridge.queue_redis()
	now = minute_of(time.time())
	keys = [MINUTE.format(m) for m in range(now - RETAIN_MINUTES - 1, now + 2)]
	saved = {key: (client.dump(key), client.pttl(key)) for key in keys if client.exists(key)}
	client.set(SAMPLING_LOCK, "test_desk_pages", ex=300)
	client.delete(*keys)
	busy = JobAggregate()
	for queue in jobs.bench_queues():
		busy.add_usage(queue, 30.0, 60.0)
	for back in range(1, minutes + 1):
		client.set(MINUTE.format(now - back), json.dumps(busy.to_json()), ex=RETAIN_S)
	try:
		yield
	finally:
		client.delete(*keys)
		for key, (value, ttl) in saved.items():
			client.restore(key, max(ttl, 0), value, replace=True)
		client.delete(SAMPLING_LOCK)


class TestDeskPages(FrappeTestCase):
	def test_workspace_and_pages_render_with_and_without_a_redis_memory_limit(self):
		"""Each Desk page renders its content in headless Chromium, with the cache Redis limited as a
		stock bench's redis_cache.conf does and with no limit, with no error anywhere, callbacks
		included; a screenshot of each is saved. Queue Status charts utilization only with two minutes."""
		rest.ensure_user(rest.MANAGER_USER, ("System Manager",))
		update_password(rest.MANAGER_USER, PASSWORD)
		# A fresh test site has not been through the setup wizard, which Desk would show instead.
		frappe.db.set_single_value("System Settings", "setup_complete", 1)
		frappe.db.commit()
		with browser.web_server() as base:
			sid = browser.login(base, rest.MANAGER_USER, PASSWORD)
			with browser.chromium(base, sid) as tab:
				for setting, limit, pill in (
					("limit", bench_cache_maxmemory(), "%"),
					("no-limit", 0, "no limit"),
				):
					minutes = JOB_MINUTES[setting]
					with cache_redis_maxmemory(limit):
						for name, (route, ready) in ROUTES.items():
							history = (
								job_history(minutes) if name == "queue-status" else contextlib.nullcontext()
							)
							with self.subTest(page=name, redis=setting), history:
								self.check_page(tab, f"{name}-{setting}", base + route, ready)
								if name == "redis-memory":
									self.assertIn(pill, tab.evaluate(PRESSURE_PILL))
								if name == "queue-status":
									self.assertEqual(tab.evaluate(JOB_CHART), minutes >= 2)
									self.assertEqual(tab.evaluate(NO_JOB_HISTORY), minutes < 2)

	def check_page(self, tab: browser.Browser, name: str, url: str, ready: str) -> None:
		"""The page's content appears, nothing logs or throws an error, and the screenshot has content."""
		tab.errors.clear()
		tab.open(url, ready)
		shot = tab.screenshot(browser.artifacts_dir() / f"{name}.png")
		self.assertGreater(shot.stat().st_size, 10_000, name)
		errors = [e for e in tab.errors if not any(noise in e for noise in EXPECTED_NOISE)]
		self.assertEqual(errors, [], f"{name}: console errors")

	def test_values_from_records_are_shown_as_text_never_as_markup(self):
		"""A stalled job whose method and job id hold HTML, and a failed job whose message does, show them as
		text on Queue Status; no element is made."""
		rest.ensure_user(rest.MANAGER_USER, ("System Manager",))
		update_password(rest.MANAGER_USER, PASSWORD)
		frappe.db.set_single_value("System Settings", "setup_complete", 1)
		method = '<img src=x id="pe-injected">'
		stall = frappe.get_doc(
			{
				"doctype": "Stalled Job",
				"kind": "long_running",
				"status": "Open",
				"queue": "default",
				"age_s": 42,
			}
		).insert(ignore_permissions=True)
		# As the stall check stores them (db.set_value): RQ's data, unsanitised by a document save.
		raw = {
			"method": method,
			"job_id": f'{frappe.local.site}::"><b id="pe-injected-id">',
			"detail": "<i id='pe-injected-detail'>detail</i>",
			"action": "warn",
		}
		frappe.db.set_value("Stalled Job", stall.name, raw)
		frappe.db.commit()
		failure = '<img src=x id="pe-injected-failure">'
		frappe.enqueue("perf_engine.tests.job_handlers.fail", queue="short", message=failure)
		rest.run_burst_worker("short")
		# Samples are at least 10 s apart: the page's own read samples this failure now.
		bridge.queue_redis().delete(SAMPLING_LOCK)
		try:
			with browser.web_server() as base:
				sid = browser.login(base, rest.MANAGER_USER, PASSWORD)
				with browser.chromium(base, sid) as tab:
					tab.open(
						base + "/app/queue-status",
						"document.body.innerText.includes('pe-injected') && !!document.querySelector('.job-failures table')",
					)
					# The failure's message as grouped (quoted values masked); its traceback holds it whole.
					for text in (method, failures.normalize(failure)):
						self.assertTrue(
							tab.evaluate(f"document.body.innerText.includes({frappe.as_json(text)})")
						)
					for element in (
						"pe-injected",
						"pe-injected-id",
						"pe-injected-detail",
						"pe-injected-failure",
					):
						self.assertFalse(tab.evaluate(f"!!document.getElementById('{element}')"), element)
		finally:
			frappe.delete_doc("Stalled Job", stall.name, force=True, ignore_permissions=True)
			frappe.db.delete("Error Log", {"method": "perf_engine.tests.job_handlers.fail"})
			frappe.db.commit()
