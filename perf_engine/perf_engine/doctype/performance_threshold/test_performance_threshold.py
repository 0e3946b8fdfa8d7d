# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

import frappe
from frappe.tests.utils import FrappeTestCase

from perf_engine.core.latency.thresholds import DEFAULT_THRESHOLDS
from perf_engine.install import seed_defaults


class TestPerformanceThreshold(FrappeTestCase):
	def test_install_seeded_the_defaults(self):
		"""Every default threshold exists after install with its documented value and unit."""
		for threshold in DEFAULT_THRESHOLDS:
			stored = frappe.db.get_value(
				"Performance Threshold", threshold.operation_type, ["value", "unit", "enabled"], as_dict=True
			)
			self.assertEqual(
				(stored.value, stored.unit, stored.enabled), (threshold.value, threshold.unit, 1)
			)

	def test_reseeding_neither_duplicates_nor_overwrites(self):
		"""Seeding again (reinstall, migrate) keeps one record per type and the user's edited value."""
		frappe.db.set_value("Performance Threshold", "form_load", "value", 900)
		# A row, not a document delete: Threshold Violations that other tests or real checks left
		# on the reused test site may link to it. The class's rollback brings it back either way.
		frappe.db.delete("Performance Threshold", "count_query")
		seed_defaults()
		seed_defaults()
		seeded = [threshold.operation_type for threshold in DEFAULT_THRESHOLDS]
		self.assertEqual(
			frappe.db.count("Performance Threshold", {"operation_type": ("in", seeded)}), len(seeded)
		)
		self.assertEqual(frappe.db.get_value("Performance Threshold", "form_load", "value"), 900)
		self.assertEqual(frappe.db.get_value("Performance Threshold", "count_query", "value"), 50)

	def test_non_positive_threshold_is_refused(self):
		"""A threshold of zero cannot be saved."""
		doc = frappe.get_doc("Performance Threshold", "single_query")
		doc.value = 0
		self.assertRaises(frappe.ValidationError, doc.save)
