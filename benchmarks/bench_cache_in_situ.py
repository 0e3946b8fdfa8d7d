"""perf_engine's cache document events inside a real bench (issue 16), run from `benchmarks.run`.

The measuring script (`in_situ_cache_events.py`) needs Frappe, so it runs with the bench's
own Python, from the copy of this app installed in the bench: install the checkout first
(`bash .ci/bench-tier --module perf_engine.tests.test_cache_events` does). The bench and its
site come from $PERF_ENGINE_BENCH and $PERF_ENGINE_TEST_SITE, as for the bench tier.
"""

import os
import subprocess
from pathlib import Path

BENCH = Path(os.environ.get("PERF_ENGINE_BENCH", "/home/frappe/frappe-bench"))
SITE = os.environ.get("PERF_ENGINE_TEST_SITE", "perf-engine-test.localhost")
SCRIPT = BENCH / "apps" / "perf_engine" / "benchmarks" / "in_situ_cache_events.py"
TITLE = "## Cache document events in situ, inside a bench (issue 16)"


def run(quick: bool) -> str:
	if not (BENCH / "sites" / SITE).is_dir() or not SCRIPT.is_file():
		return f"{TITLE}\n\nSkipped: no bench at {BENCH} with site {SITE} and perf_engine installed.\n"
	command = [str(BENCH / "env" / "bin" / "python"), str(SCRIPT), SITE, *(["--quick"] if quick else [])]
	owner = BENCH.owner()
	if os.geteuid() == 0 and owner != "root":
		# Files the bench writes (logs) must stay its owner's, as `bench` itself insists.
		command = ["runuser", "-u", owner, "--", *command]
	done = subprocess.run(command, cwd=BENCH / "sites", capture_output=True, text=True, check=False)
	if done.returncode:
		raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
	return done.stdout
