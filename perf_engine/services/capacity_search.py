"""The capacity search a Capacity Model asks for: the exact `perf-engine load --find-capacity` to run.

The load must come from outside the web workers: locust inside a web request (or a worker of this
bench) would load the bench with itself and measure that. So the form hands the operator the
command, for a shell on this machine or on the machine that will generate the load.
"""

import shlex

import frappe

from perf_engine.cli.load import PASSWORD_ENV
from perf_engine.core.checks import run_check
from perf_engine.core.config import bench_config
from perf_engine.services import bridge

REPORT_FILE = "capacity-search.md"


def command(model: str) -> dict:
	"""The command that searches this site's capacity in the model's mix, recorded back here."""
	settings = bridge.connection_settings()
	workers = run_check("bench config", lambda: bench_config(settings.bench_path).get("gunicorn_workers"))
	words = ["perf-engine", "load", "--find-capacity", "--target", frappe.utils.get_url()]
	words += ["--site-name", frappe.local.site, "--target-peak", model, "--user", frappe.session.user]
	if workers.ok and workers.data:
		words += ["--web-workers", str(workers.data)]
	words += ["--report", REPORT_FILE]
	return {
		"command": shlex.join(words),
		"password_env": PASSWORD_ENV,
		"web_workers": workers.data if workers.ok else None,
	}
