"""What "healthy" means for each subsystem, decided from structured figures alone.

Subsystems: queues and workers, stalled jobs, Redis memory, indexes, thresholds and the
capacity verdict. Each is judged on its own (a part whose figures are missing, or whose
rule fails, is unknown with the reason; the rest still answers). The API, the CLI, the
metrics and the snapshots all call `assess`, so they give the same answer.
"""

from collections.abc import Callable

from perf_engine.core import bench_comparison
from perf_engine.core.checks import run_check
from perf_engine.core.jobs.advice import ADD, NO_WORKER, advise_all
from perf_engine.core.settings import DOCTYPE, Settings

OK, WARNING, CRITICAL, UNKNOWN = "ok", "warning", "critical", "unknown"
SEVERITY = {OK: 0, UNKNOWN: 1, WARNING: 2, CRITICAL: 3}
SUBSYSTEMS = ("queues", "stalls", "redis", "indexes", "thresholds", "capacity")
# Which figure each subsystem is judged from, and what to do when that figure is missing.
SOURCES = {"queues": "queues", "redis": "redis"} | dict.fromkeys(
	("stalls", "indexes", "thresholds", "capacity"), "counts"
)
MISSING_ACTION = {"queues": "Check that Redis is running.", "redis": "Check that Redis is running."}
OPEN_THRESHOLD_VIOLATIONS = "Open Threshold Violation to see which operations."


def part(status: str, reason: str, action: str = "") -> dict:
	return {"status": status, "reason": reason, "action": action}


def queues(rows: list[dict], settings: Settings) -> dict:
	advice = advise_all(rows, settings.advice_limits)
	if stuck := [a for a in advice if a["advice"] == NO_WORKER]:
		return part(
			CRITICAL, stuck[0]["reason"], "Start workers for the queues named (bench worker / supervisor)."
		)
	if behind := [a for a in advice if a["advice"] == ADD]:
		return part(WARNING, f"{behind[0]['queue']}: {behind[0]['reason']}", "Add workers to that queue.")
	return part(OK, f"{sum(r['queued'] for r in rows)} job(s) queued, every queue keeping up")


def stalls(counts: dict, settings: Settings) -> dict:
	"""Critical when any open stall calls for stopping or requeueing, warning when all only warn."""
	by_action = counts["open_stalls_by_action"]
	total = sum(by_action.values())
	if not total:
		return part(OK, "no stalled jobs")
	status = CRITICAL if any(n for action, n in by_action.items() if action != "warn") else WARNING
	return part(status, f"{total} open stalled job(s)", "Open Queue Status and stop or requeue them.")


def redis(status: dict, settings: Settings) -> dict:
	options = settings.cleanup_options
	pressure = status["pressure"]
	if pressure is None:
		return part(
			WARNING,
			"no maxmemory and no budget: Redis may grow until the host runs out",
			f"Set maxmemory or a memory budget in {DOCTYPE}.",
		)
	text = f"{pressure * 100:.1f} % of the limit used"
	if pressure >= options["threshold"]:
		return part(CRITICAL, text, "Run the Redis cleanup or raise maxmemory.")
	if pressure >= options["target"]:
		return part(WARNING, text, "Watch it; cleanup starts at the threshold.")
	return part(OK, text)


def indexes(counts: dict, settings: Settings) -> dict:
	if not counts["index_analysed"]:
		return part(WARNING, "no index analysis yet", "Run an analysis from Index Analysis.")
	if high := counts["open_index_findings"].get("HIGH", 0):
		return part(WARNING, f"{high} open HIGH index finding(s)", "Apply or dismiss them in Index Analysis.")
	return part(OK, "no open HIGH findings")


def thresholds(counts: dict, settings: Settings) -> dict:
	violations = counts["violations_24h"]
	if critical := violations.get("CRITICAL"):
		return part(CRITICAL, f"{critical} critical violation(s) in 24 h", OPEN_THRESHOLD_VIOLATIONS)
	if warning := violations.get("WARNING"):
		return part(WARNING, f"{warning} violation(s) in 24 h", OPEN_THRESHOLD_VIOLATIONS)
	if counts["thresholds_unmeasured"]:
		return part(
			WARNING,
			"thresholds could not all be measured",
			"Enable Frappe's monitor (monitor: 1 in site_config).",
		)
	return part(OK, "no violations in 24 h")


def capacity(counts: dict, settings: Settings) -> dict:
	"""From the latest Capacity Model's comparison rows: any under-provisioned resource is critical."""
	latest = counts["latest_capacity"]
	if not latest:
		return part(WARNING, "no capacity model yet", "Create a Capacity Model for your expected load.")
	rows = latest["rows"]
	reason = f"{latest['name']}: {bench_comparison.summary(rows)}"
	off = bench_comparison.off_target(rows or [])
	if bench_comparison.UNDER in off:
		return part(CRITICAL, reason, "Add the workers or connections the model recommends.")
	if rows is None or off:
		return part(WARNING, reason, "Review the Capacity Model.")
	return part(OK, reason)


RULES: dict[str, Callable[[dict, Settings], dict]] = {
	"queues": queues,
	"stalls": stalls,
	"redis": redis,
	"indexes": indexes,
	"thresholds": thresholds,
	"capacity": capacity,
}


def assess(figures: dict, settings: Settings) -> dict:
	"""Every subsystem with its status, reason and action, and the worst status overall."""
	subsystems = {}
	for name, rule in RULES.items():
		source = SOURCES[name]
		if figures.get(source) is None:
			error = figures.get("errors", {}).get(source, "not available")
			subsystems[name] = part(UNKNOWN, error, MISSING_ACTION.get(name, "See the error log."))
			continue
		result = run_check(name, lambda: rule(figures[source], settings))
		subsystems[name] = result.data if result.ok else part(UNKNOWN, result.error, "See the error log.")
	return {"status": overall(subsystems), "subsystems": subsystems}


def overall(subsystems: dict) -> str:
	return max((s["status"] for s in subsystems.values()), key=SEVERITY.get)
