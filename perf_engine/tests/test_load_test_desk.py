"""The Load Test Run form draws its chart and offers the calibration; the Capacity Model shows it applied."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils.password import update_password

from perf_engine.services import calibration
from perf_engine.services import load_test as runs
from perf_engine.tests import browser, rest
from perf_engine.tests.load_runs import TARGET, payload, search_payload
from perf_engine.tests.test_desk_pages import EXPECTED_NOISE, PASSWORD

MODEL = "perf-engine desk calibration model"
# The chart's bars are drawn as SVG inside the form's chart field; the button is in the page head.
CHART_READY = "!!document.querySelector('[data-fieldname=\"chart_html\"] svg .dataset-units rect')"
BUTTON = "Array.from(document.querySelectorAll('.page-actions button')).some(b => b.innerText.trim() === 'Apply Calibration')"
CURVE_READY = "document.querySelectorAll('[data-fieldname=\"curve_html\"] svg .dataset-units').length >= 3"
FIND_CAPACITY = "Array.from(document.querySelectorAll('.page-actions button, .custom-actions button')).some(b => b.innerText.trim() === 'Find Capacity')"
CALIBRATION_SHOWN = "document.body.innerText.includes('Predicted against measured') && document.body.innerText.includes({run})"


class TestLoadTestDesk(FrappeTestCase):
	def tearDown(self):
		for name in frappe.get_all("Load Test Run", filters={"target_url": TARGET}, pluck="name"):
			frappe.delete_doc("Load Test Run", name, force=True)
		frappe.delete_doc("Capacity Model", MODEL, force=True, ignore_missing=True)
		frappe.db.commit()

	def test_run_form_has_its_chart_and_the_model_names_its_calibration(self):
		"""A passing run's form shows the per-kind chart and Apply Calibration; once applied, the Capacity
		Model's report names the run beside the assumed prediction. No console error on either."""
		rest.ensure_user(rest.MANAGER_USER, ("System Manager",))
		update_password(rest.MANAGER_USER, PASSWORD)
		frappe.db.set_single_value("System Settings", "setup_complete", 1)
		frappe.get_doc(
			{
				"doctype": "Capacity Model",
				"title": MODEL,
				"concurrent_users": 100,
				"transactions_per_user_per_hour": 60,
			}
		).insert()
		run = runs.record({**payload(), "capacity_model": MODEL})["name"]
		frappe.db.commit()
		with (
			browser.web_server() as base,
			browser.chromium(base, browser.login(base, rest.MANAGER_USER, PASSWORD)) as tab,
		):
			tab.open(f"{base}/app/load-test-run/{run}", f"{CHART_READY} && {BUTTON}")
			self.assert_clean(tab, "load-test-run")
			calibration.apply(run)
			frappe.db.commit()
			tab.errors.clear()
			tab.open(f"{base}/app/capacity-model/{MODEL}", CALIBRATION_SHOWN.format(run=frappe.as_json(run)))
			self.assert_clean(tab, "capacity-model-calibrated")
			self.assertEqual(frappe.db.get_value("Capacity Model", MODEL, "calibration_run"), run)

	def test_search_form_draws_its_curve_and_the_model_offers_find_capacity(self):
		"""A capacity search's form draws offered against served and p95 per step; once applied, the model
		shows the measured-capacity workers beside the predicted ones, and its Find Capacity action."""
		rest.ensure_user(rest.MANAGER_USER, ("System Manager",))
		update_password(rest.MANAGER_USER, PASSWORD)
		frappe.db.set_single_value("System Settings", "setup_complete", 1)
		frappe.get_doc(
			{
				"doctype": "Capacity Model",
				"title": MODEL,
				"concurrent_users": 100,
				"transactions_per_user_per_hour": 60,
			}
		).insert()
		run = runs.record({**search_payload(), "capacity_model": MODEL})["name"]
		calibration.apply(run)
		frappe.db.commit()
		self.assertEqual(frappe.db.get_value("Load Test Run", run, "capacity_kind"), "Measured capacity")
		shown = "document.body.innerText.includes('Measured capacity (capacity search)')"
		with (
			browser.web_server() as base,
			browser.chromium(base, browser.login(base, rest.MANAGER_USER, PASSWORD)) as tab,
		):
			tab.open(f"{base}/app/load-test-run/{run}", CURVE_READY)
			self.assert_clean(tab, "load-test-run-curve")
			tab.errors.clear()
			tab.open(f"{base}/app/capacity-model/{MODEL}", f"{shown} && {FIND_CAPACITY}")
			self.assert_clean(tab, "capacity-model-find-capacity")
		self.assertEqual(frappe.db.get_value("Capacity Model", MODEL, "capacity_search_run"), run)

	def assert_clean(self, tab: browser.Browser, name: str) -> None:
		shot = tab.screenshot(browser.artifacts_dir() / f"{name}.png")
		self.assertGreater(shot.stat().st_size, 10_000, name)
		errors = [e for e in tab.errors if not any(noise in e for noise in EXPECTED_NOISE)]
		self.assertEqual(errors, [], f"{name}: console errors")
