# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

import json

import frappe
from frappe.tests.utils import FrappeTestCase


def make_model(title: str, **values) -> "frappe.Document":
	return frappe.get_doc(
		{
			"doctype": "Capacity Model",
			"title": title,
			"concurrent_users": 100,
			"transactions_per_user_per_hour": 30,
			**values,
		}
	).insert()


class TestCapacityModel(FrappeTestCase):
	def test_save_computes_reference_outputs(self):
		"""Saving a model fills the reference outputs exactly as the formulas give them."""
		model = make_model("Small office", host_cpu_cores=4, host_memory_gb=8)
		self.assertEqual(model.recommended_gunicorn_workers, 1)
		self.assertEqual(
			(model.background_default_workers, model.background_short_workers, model.background_long_workers),
			(2, 1, 1),
		)
		self.assertEqual(model.recommended_db_pool, 18)
		self.assertEqual(model.host_gunicorn_workers, 9)
		self.assertTrue(model.computed_at)

	def test_recompute_follows_edited_inputs(self):
		"""Changing the load and saving again recomputes every output."""
		model = make_model("Growing shop", host_cpu_cores=16, host_memory_gb=64, memory_per_worker_mb=512)
		model.concurrent_users = 5000
		model.transactions_per_user_per_hour = 60
		model.peak_multiplier = 3
		model.save()
		self.assertEqual((model.recommended_gunicorn_workers, model.minimum_gunicorn_workers), (225, 150))
		self.assertEqual(model.recommended_db_pool, 726, "never below the 726 connections the workers open")
		self.assertTrue(model.sizing.startswith("Exceeds a hard limit"))
		self.assertIn("past the 500 one MariaDB server serves well", model.sizing)
		self.assertIn("scale out to 7 app servers", model.sizing)
		self.assertEqual(
			json.loads(model.result_json)["reference"]["db_connections"]["recommended_pool"], 500
		)

	def test_tiny_load_gets_one_web_worker_and_says_why(self):
		"""50 users at 10 tx/h: one gunicorn worker (the formula gives 0), with the floor named."""
		model = make_model(
			"Tiny office",
			concurrent_users=50,
			transactions_per_user_per_hour=10,
			host_cpu_cores=4,
			host_memory_gb=8,
		)
		self.assertEqual((model.recommended_gunicorn_workers, model.minimum_gunicorn_workers), (1, 1))
		self.assertTrue(model.sizing.startswith("Fits this host"))
		self.assertIn("gunicorn workers: at least 1", model.sizing)

	def test_host_is_prefilled_from_this_server(self):
		"""A model saved without host figures plans for this server's cores and memory."""
		import psutil

		model = make_model("This server")
		self.assertEqual(model.host_cpu_cores, psutil.cpu_count())
		self.assertGreater(model.host_memory_gb, 0)

	def test_report_compares_with_the_bench_and_its_tables(self):
		"""The stored report holds a verdict per resource and the site's largest tables with tiers."""
		report = json.loads(make_model("Compared").result_json)
		resources = {row["resource"]: row for row in report["comparison"]["rows"]}
		self.assertIn("mariadb_max_connections", resources)
		self.assertGreater(resources["mariadb_max_connections"]["actual"], 0)
		self.assertIn(
			resources["gunicorn_workers"]["verdict"], ("fine", "under-provisioned", "over-provisioned")
		)
		self.assertTrue(report["volume_tiers"]["tables"])
		self.assertIn("missing", report["measured"])

	def test_invalid_inputs_are_refused(self):
		"""Zero users and a mix that does not add up to 100 % are refused with a readable message."""
		with self.assertRaisesRegex(frappe.ValidationError, "Concurrent users must be between 1"):
			make_model("Nobody", concurrent_users=0)
		with self.assertRaisesRegex(frappe.ValidationError, "must add up to 100 %"):
			make_model("Odd mix", mix_light=10)

	def test_zero_host_figures_are_refused_not_replaced(self):
		"""0 cores or 0 GB typed in is refused; only an empty field is filled from this server."""
		with self.assertRaisesRegex(frappe.ValidationError, "Host cpu cores must be between 1"):
			make_model("No cores", host_cpu_cores=0, host_memory_gb=8)
		with self.assertRaisesRegex(frappe.ValidationError, "Host memory gb must be between"):
			make_model("No memory", host_cpu_cores=4, host_memory_gb=0)
