"""`bench --site SITE perf-engine ...` runs the perf-engine CLI for the site, as Frappe loads app commands."""

import json
import subprocess
import sys

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import get_bench_path


def bench(*args: str) -> subprocess.CompletedProcess:
	"""What `bench --site SITE ...` runs: Frappe's bench helper in the bench's Python, from sites/."""
	return subprocess.run(
		[sys.executable, "-m", "frappe.utils.bench_helper", "frappe", "--site", frappe.local.site, *args],
		cwd=f"{get_bench_path()}/sites",
		capture_output=True,
		text=True,
		check=False,
	)


class TestBenchCommands(FrappeTestCase):
	def test_doctor_reports_the_sites_services(self):
		"""`bench --site SITE perf-engine doctor` reaches MariaDB, both Redis and RQ and exits 0."""
		result = bench("perf-engine", "doctor")
		self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
		for section in ("mariadb", "redis_cache", "redis_queue", "rq"):
			self.assertIn(f"== {section}: ok", result.stdout)

	def test_json_output_names_this_sites_database(self):
		"""Global flags pass through: --json doctor lists the site's own database among the sizes."""
		result = bench("perf-engine", "--json", "doctor")
		self.assertEqual(result.returncode, 0, result.stderr)
		mariadb = next(s for s in json.loads(result.stdout) if s["name"] == "mariadb")
		self.assertIn(frappe.conf.db_name, [d["name"] for d in mariadb["data"]["databases"]])

	def test_bad_arguments_are_one_line_and_a_non_zero_exit(self):
		"""An unknown subcommand is refused by the CLI's own parser, without a traceback."""
		result = bench("perf-engine", "no-such-command")
		self.assertNotEqual(result.returncode, 0)
		self.assertNotIn("Traceback", result.stderr)
