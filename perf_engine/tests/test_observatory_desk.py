"""Running Queries and Top Queries in Desk: the test site's own statements shown, the second site's never,
a kill confirmed in a dialog stops the statement, and the top queries of a slow log render."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils.password import update_password

from perf_engine.core.settings import DOCTYPE as SETTINGS
from perf_engine.tests import browser, rest
from perf_engine.tests.database_sessions import SECOND_SITE, Statement, running, site_connection, wait_until
from perf_engine.tests.test_desk_pages import EXPECTED_NOISE, PASSWORD
from perf_engine.tests.test_platform_health_api import root_connection
from perf_engine.tests.test_readiness_api import fresh_slow_log

MINE = "SELECT SLEEP(60) AS pe_desk_mine"
THEIRS = "SELECT SLEEP(20) AS pe_desk_theirs"
LOGGED = "SELECT SLEEP(0.05), name FROM `tabUser` WHERE name = %s"
STATEMENTS = ".page-container[data-page-route='running-queries'] .running-statements"
TOP_ROWS = ".page-container[data-page-route='top-queries'] .top-queries tbody tr"
CONFIRM = ".modal.show .btn-modal-primary"
SUMMARY = '.page-container[data-page-route="top-queries"] .top-summary'
# An answer while a slow log file is still being read, newest first (the table source is always whole).
READING = (
	'{"queries": [], "fingerprints": 0, "executions": 0, "source": "slow log (file)", "notes": [],'
	' "coverage": {"complete": false, "read_fraction": 0.35}}'
)


def kill_logs(thread_id: int) -> list[str]:
	"""The Query Kill Logs of a thread, read in a new snapshot (the web server wrote them)."""
	frappe.db.commit()
	return frappe.get_all("Query Kill Log", filters={"thread_id": thread_id}, pluck="name")


class TestObservatoryDesk(FrappeTestCase):
	def test_each_site_sees_its_own_statements_kills_after_confirming_and_lists_its_top_queries(self):
		"""Running Queries shows this site's long statement and not the second site's; Kill Query asks first,
		then stops it; Top Queries lists the statements the slow log holds for this site."""
		rest.ensure_user(rest.MANAGER_USER, ("System Manager",))
		update_password(rest.MANAGER_USER, PASSWORD)
		frappe.db.set_single_value("System Settings", "setup_complete", 1)
		stored = {"doctype": SETTINGS, "field": "running_query_seconds"}
		saved = frappe.db.sql(
			"SELECT value FROM `tabSingles` WHERE doctype = %(doctype)s AND field = %(field)s", stored
		)
		threshold = saved[0][0] if saved else None
		frappe.db.set_single_value(SETTINGS, "running_query_seconds", 1)
		frappe.db.commit()
		frappe.clear_document_cache(SETTINGS, SETTINGS)
		watcher, mine, theirs, logged = (
			root_connection(),
			site_connection(),
			site_connection(SECOND_SITE),
			site_connection(),
		)
		killed_logs = []
		try:
			with fresh_slow_log():
				with logged.cursor() as cur:
					cur.execute("SET SESSION slow_query_log = 1, long_query_time = 0")
					for _ in range(3):
						cur.execute(LOGGED, ("Administrator",))
				sleeping, other = Statement(mine, MINE), Statement(theirs, THEIRS)
				for statement in (sleeping, other):
					wait_until(lambda s=statement: running(watcher, s.thread_id))
				with browser.web_server() as base:
					sid = browser.login(base, rest.MANAGER_USER, PASSWORD)
					with browser.chromium(base, sid) as tab:
						self.open(
							tab,
							"running-queries",
							base + "/app/running-queries",
							f"document.querySelector(\"{STATEMENTS}\")?.innerText.includes('pe_desk_mine')",
						)
						self.assertFalse(tab.evaluate("document.body.innerText.includes('pe_desk_theirs')"))
						tab.evaluate(f'document.querySelector("{STATEMENTS} [data-kill]").click()')
						wait_until(lambda: tab.evaluate(f"!!document.querySelector('{CONFIRM}')"))
						self.assertTrue(
							sleeping.thread.is_alive(), "nothing is killed before the confirmation"
						)
						tab.evaluate(f"document.querySelector('{CONFIRM}').click()")
						self.assertTrue(sleeping.finished(15), "the confirmed kill stopped the statement")
						# The statement ends at the kill; the request records it and commits just after.
						killed_logs = wait_until(lambda: kill_logs(sleeping.thread_id))
						self.assertEqual(len(killed_logs), 1)
						self.open(
							tab,
							"top-queries",
							base + "/app/top-queries",
							f'document.querySelectorAll("{TOP_ROWS}").length > 0',
						)
						self.assertTrue(
							tab.evaluate(
								f"Array.from(document.querySelectorAll(\"{TOP_ROWS}\")).some(r => r.innerText.includes('from `tabuser` where name = ?'))"
							)
						)
						self.assertNotIn(
							"reading the slow log",
							tab.evaluate(f"document.querySelector('{SUMMARY}').innerText"),
						)
						tab.evaluate(f"frappe.pages['top-queries'].top_queries.render({READING})")
						self.assertIn(
							"reading the slow log: 35%",
							tab.evaluate(f"document.querySelector('{SUMMARY}').innerText"),
						)
				self.assertTrue(other.finished(), "the second site's statement ran to its end")
				self.assertIsNone(other.error)
		finally:
			for conn in (watcher, mine, theirs, logged):
				conn.close()
			if threshold is None:
				frappe.db.delete("Singles", stored)
			else:
				frappe.db.set_single_value(SETTINGS, "running_query_seconds", threshold)
			for name in killed_logs:
				frappe.delete_doc("Query Kill Log", name, force=True, ignore_permissions=True)
			frappe.db.commit()
			frappe.clear_document_cache(SETTINGS, SETTINGS)

	def open(self, tab: browser.Browser, name: str, url: str, ready: str) -> None:
		"""The page renders its content with no console error, and a screenshot is saved."""
		tab.errors.clear()
		tab.open(url, ready)
		shot = tab.screenshot(browser.artifacts_dir() / f"{name}.png")
		self.assertGreater(shot.stat().st_size, 10_000, name)
		errors = [e for e in tab.errors if not any(noise in e for noise in EXPECTED_NOISE)]
		self.assertEqual(errors, [], f"{name}: console errors")
