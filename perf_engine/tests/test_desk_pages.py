import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils.password import update_password

from perf_engine.tests import browser, rest

PASSWORD = "Perf-Engine-Desk-Test-1"
# The route, and a JS expression that is true once its content has rendered.
ROUTES = {
	# The health block renders inside a Custom HTML Block's shadow root.
	"workspace": (
		"/app/perf-engine",
		"Array.from(document.querySelectorAll('*')).some(e => e.shadowRoot && e.shadowRoot.querySelector('.health-parts .frappe-card'))",
	),
	"queue-status": ("/app/queue-status", "!!document.querySelector('.queue-cards .frappe-card')"),
	"index-analysis": (
		"/app/index-analysis",
		"document.querySelectorAll('.page-container[data-page-route=\"index-analysis\"] table').length > 0",
	),
	"redis-memory": (
		"/app/redis-memory",
		"!!document.querySelector('.page-container[data-page-route=\"redis-memory\"] .progress')",
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
# Desk connects to Frappe's socket.io server, which a test run does not start.
EXPECTED_NOISE = ("socket.io", "WebSocket")


class TestDeskPages(FrappeTestCase):
	def test_workspace_and_pages_render_without_console_errors(self):
		"""Each Desk page renders its content in headless Chromium with no console error; a screenshot is saved."""
		rest.ensure_user(rest.MANAGER_USER, ("System Manager",))
		update_password(rest.MANAGER_USER, PASSWORD)
		# A fresh test site has not been through the setup wizard, which Desk would show instead.
		frappe.db.set_single_value("System Settings", "setup_complete", 1)
		frappe.db.commit()
		with browser.web_server() as base:
			sid = browser.login(base, rest.MANAGER_USER, PASSWORD)
			with browser.chromium(base, sid) as tab:
				for name, (route, ready) in ROUTES.items():
					tab.errors.clear()
					tab.open(base + route, ready)
					shot = tab.screenshot(browser.artifacts_dir() / f"{name}.png")
					self.assertGreater(shot.stat().st_size, 10_000, name)
					errors = [e for e in tab.errors if not any(noise in e for noise in EXPECTED_NOISE)]
					self.assertEqual(errors, [], f"{name}: console errors")

	def test_values_from_records_are_shown_as_text_never_as_markup(self):
		"""A stalled job whose method and job id hold HTML shows them as text on Queue Status; no element is made."""
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
		try:
			with browser.web_server() as base:
				sid = browser.login(base, rest.MANAGER_USER, PASSWORD)
				with browser.chromium(base, sid) as tab:
					tab.open(base + "/app/queue-status", "document.body.innerText.includes('pe-injected')")
					self.assertTrue(
						tab.evaluate(f"document.body.innerText.includes({frappe.as_json(method)})")
					)
					for element in ("pe-injected", "pe-injected-id", "pe-injected-detail"):
						self.assertFalse(tab.evaluate(f"!!document.getElementById('{element}')"), element)
		finally:
			frappe.delete_doc("Stalled Job", stall.name, force=True, ignore_permissions=True)
			frappe.db.commit()
