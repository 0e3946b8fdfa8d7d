"""perf_engine's cache document events inside a real bench (issue 16), run from `benchmarks.run`.

The measuring script (`in_situ_cache_events.py`) needs Frappe, so it runs with the bench's
own Python, importing perf_engine from this checkout (PYTHONPATH), on a site where
perf_engine is installed (`bash .ci/bench-tier --module perf_engine.tests.test_cache_events`
installs it). It holds the bench tier's lock, so no test run changes the site meanwhile.
The bench and its site come from $PERF_ENGINE_BENCH and $PERF_ENGINE_TEST_SITE.
"""

import os
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCH = Path(os.environ.get("PERF_ENGINE_BENCH", "/home/frappe/frappe-bench"))
SITE = os.environ.get("PERF_ENGINE_TEST_SITE", "perf-engine-test.localhost")
BENCH_TIER_LOCK = "/tmp/perf_engine_bench_tier.lock"
TITLE = "## Cache document events in situ, inside a bench (issue 16)"


def run(quick: bool) -> str:
	if not (BENCH / "sites" / SITE).is_dir():
		return f"{TITLE}\n\nSkipped: no bench at {BENCH} with site {SITE}.\n"
	script = HERE / "in_situ_cache_events.py"
	command = [str(BENCH / "env" / "bin" / "python"), str(script), SITE, *(["--quick"] if quick else [])]
	owner = BENCH.owner()
	if os.geteuid() == 0 and owner != "root":
		# Files the bench writes (logs) must stay its owner's, as `bench` itself insists.
		command = ["runuser", "-u", owner, "--", *command]
	done = subprocess.run(
		["flock", BENCH_TIER_LOCK, *command],
		cwd=BENCH / "sites",
		env={**os.environ, "PYTHONPATH": str(HERE.parent)},
		capture_output=True,
		text=True,
		check=False,
	)
	if done.returncode:
		raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
	return done.stdout
