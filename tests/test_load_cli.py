"""`perf-engine load` refuses what it should before any load is sent: no target, a bad URL, no
credentials, no locust, a remote site without confirmation; one line each and exit code 2."""

import os
import subprocess
import sys

from tests.services import REPO_ROOT
from tests.test_cli_failures import BAD_INPUT, CONSOLE_SCRIPT

# TEST-NET-1 (RFC 5737): never routed, so any attempt to load it would hang, not succeed.
REMOTE = "http://192.0.2.10:8000"
TIMEOUT_S = 60


def load(*args: str, stdin=subprocess.DEVNULL) -> subprocess.CompletedProcess:
	"""The console script as an operator runs it, with no terminal on stdin."""
	return subprocess.run(
		[CONSOLE_SCRIPT, "load", *args],
		capture_output=True,
		text=True,
		cwd=REPO_ROOT,
		stdin=stdin,
		# PYTHONPATH passes through so a checkout tests its own code with a shared virtualenv's script.
		env={"PATH": "/usr/bin:/bin", "HOME": str(REPO_ROOT), "PYTHONPATH": os.environ.get("PYTHONPATH", "")},
		timeout=TIMEOUT_S,
	)


def one_line(result: subprocess.CompletedProcess) -> str:
	lines = result.stderr.strip().splitlines()
	assert "Traceback" not in result.stderr
	return lines[-1]


def test_no_target_no_load():
	"""Without --target nothing starts: there is no default site to load."""
	result = load("--password", "secret")
	assert result.returncode == BAD_INPUT
	assert "load needs --target URL" in one_line(result)


def test_a_target_that_is_not_an_http_url_is_refused():
	"""ftp:// or a bare host name is named back to the operator."""
	for target in ("ftp://erp.example.com", "erp.example.com"):
		result = load("--target", target, "--password", "secret")
		assert result.returncode == BAD_INPUT
		assert "--target must be an http(s) URL" in one_line(result)


def test_credentials_are_required():
	"""Neither a password nor an API key: refused, naming both ways to sign in."""
	result = load("--target", "http://127.0.0.1:8000")
	assert result.returncode == BAD_INPUT
	assert "--password" in one_line(result) and "--api-key" in one_line(result)
	result = load("--target", "http://127.0.0.1:8000", "--api-key", "abc")
	assert "--api-key needs --api-secret" in one_line(result)


def test_without_locust_one_line_says_how_to_install_it():
	"""Where locust is not installed (inside a bench, say) the command explains the extra, exit 2."""
	code = (
		"import sys; sys.modules['locust'] = None; from perf_engine.cli import main; "
		"sys.exit(main(['load', '--target', 'http://127.0.0.1:8000', '--password', 'x']))"
	)
	result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT_S)
	assert result.returncode == BAD_INPUT
	assert result.stderr.strip() == (
		'perf-engine: load testing needs locust: pip install "perf_engine[load]" where the load is generated'
	)


def test_a_remote_site_is_described_then_needs_yes():
	"""Another machine's site: the plan is printed first, then the run is refused without --yes."""
	result = load("--target", REMOTE, "--password", "secret", "--users", "5", "--duration", "30")
	assert result.returncode == BAD_INPUT
	assert f"perf-engine load: {REMOTE} as Administrator" in result.stderr
	assert "5 users (started 5/s) for 30 s" in result.stderr
	assert "confirm with --yes" in one_line(result)
	assert "secret" not in result.stderr


def test_shape_out_of_range_is_refused_before_anything_runs():
	"""Zero users, a zero spawn rate or a zero duration are refused with the flag named."""
	for flags, flag in (
		(("--users", "0"), "--users"),
		(("--spawn-rate", "0"), "--spawn-rate"),
		(("--duration", "0"), "--duration"),
	):
		result = load("--target", "http://127.0.0.1:8000", "--password", "x", *flags)
		assert result.returncode == BAD_INPUT
		assert flag in one_line(result)


def test_an_unwritable_report_is_refused_before_the_run(tmp_path):
	"""--report into a missing folder is refused at once, not after minutes of load."""
	missing = tmp_path / "no-such-folder" / "report.md"
	result = load("--target", "http://127.0.0.1:8000", "--password", "x", "--report", str(missing))
	assert result.returncode == BAD_INPUT
	assert "--report" in one_line(result) and "not writable" in one_line(result)


def test_a_worker_needs_its_master():
	"""`--worker` without --master-host is refused instead of waiting for nobody."""
	result = load("--worker")
	assert result.returncode == BAD_INPUT
	assert "--worker needs --master-host" in one_line(result)


def test_a_capacity_search_with_limits_that_never_end_is_refused():
	"""--find-capacity with a zero hold, zero step or no steps: refused with the flag named, nothing sent."""
	for flags, flag in (
		(("--hold", "0"), "--hold"),
		(("--step-rate", "0"), "--step-rate"),
		(("--max-steps", "0"), "--max-steps"),
		(("--max-time", "1"), "--max-time"),
	):
		result = load("--target", "http://127.0.0.1:8000", "--password", "x", "--find-capacity", *flags)
		assert result.returncode == BAD_INPUT
		assert flag in one_line(result) and "unrecognized" not in one_line(result)


def test_a_capacity_search_of_a_remote_site_is_described_then_needs_yes():
	"""The search's steps and limits are printed first; another machine still needs --yes."""
	result = load("--target", REMOTE, "--password", "secret", "--find-capacity", "--step-rate", "10")
	assert result.returncode == BAD_INPUT
	assert "capacity search: from 10 requests/s up by 10 every 30 s" in result.stderr
	assert "confirm with --yes" in one_line(result)
