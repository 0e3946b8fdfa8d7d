import frappe

from perf_engine.tests import rest


class TestCapacityAPI(rest.ApiTestCase):
	def test_calculate_capacity_over_rest(self):
		"""A System Manager gets the full model over REST without saving any record."""
		before = frappe.db.count("Capacity Model")
		response = rest.call(
			"perf_engine.api.calculate_capacity",
			self.manager,
			concurrent_users=100,
			transactions_per_user_per_hour=30,
			host_cpu_cores=4,
			host_memory_gb=8,
		)
		self.assertEqual(response.status_code, 200, response.text)
		self.assertEqual(response.message["reference"]["db_connections"]["recommended_pool"], 18)
		self.assertEqual(response.message["reference"]["host_gunicorn"]["workers"], 9)
		self.assertEqual(frappe.db.count("Capacity Model"), before)

	def test_bad_input_is_a_validation_error(self):
		"""A mix that does not add up is refused with a 417 and a readable message."""
		response = rest.call(
			"perf_engine.api.calculate_capacity",
			self.manager,
			concurrent_users=10,
			transactions_per_user_per_hour=5,
			mix_light=10,
		)
		self.assertEqual(response.status_code, 417, response.text)
		self.assertIn("must add up to 100", response.text)

	def test_check_threshold_over_rest(self):
		"""check_threshold answers with severity; an unknown type is refused naming the known ones."""
		response = rest.call(
			"perf_engine.api.check_threshold", self.manager, operation_type="form_load", value=3500
		)
		self.assertEqual(response.message["severity"], "CRITICAL")
		response = rest.call("perf_engine.api.check_threshold", self.manager, operation_type="nope", value=1)
		self.assertEqual(response.status_code, 417)
		self.assertIn("Unknown operation type", response.text)

	def test_guest_and_plain_users_are_refused(self):
		"""Guest and a user without a manager role get 403 from both methods."""
		for method, args in (
			(
				"perf_engine.api.calculate_capacity",
				{"concurrent_users": 1, "transactions_per_user_per_hour": 1},
			),
			("perf_engine.api.check_threshold", {"operation_type": "form_load", "value": 1}),
		):
			self.assertEqual(rest.call(method, None, **args).status_code, 403)
			self.assertEqual(rest.call(method, self.plain, **args).status_code, 403)
