"""How a load test reads: a table in the terminal and a Markdown report, from the same result; a
capacity search adds its curve (one row per step) and its knee."""

from perf_engine.cli.output import print_table
from perf_engine.core.load.rules import KINDS

CURVE_COLUMNS = (
	"step",
	"offered/s",
	"served/s",
	"users",
	"requests",
	"failures",
	"p50 ms",
	"p95 ms",
	"p99 ms",
	"SLA",
)
COLUMNS = ("kind", "requests", "failures", "req/s", "p50 ms", "p95 ms", "p99 ms", "threshold ms", "SLA")


def rows(result: dict) -> list[tuple]:
	"""One row per kind in KINDS order, then the total."""
	kinds, verdicts = result["figures"]["kinds"], result["verdict"]["kinds"]
	table = []
	for kind in (k for k in KINDS if k in kinds):
		row, judged = kinds[kind], verdicts.get(kind, {})
		table.append((kind, *cells(row), number(judged.get("threshold_ms")), judged.get("sla") or "-"))
	table.append(("total", *cells(result["figures"]["total"]), "", result["verdict"]["sla_verdict"]))
	return table


def cells(row: dict) -> tuple:
	return (
		row["requests"],
		row["failures"],
		f"{row['requests_per_s']:.2f}",
		number(row["p50_ms"]),
		number(row["p95_ms"]),
		number(row["p99_ms"]),
	)


def number(value: float | None) -> str:
	return "-" if value is None else f"{value:g}"


def curve_rows(result: dict) -> list[tuple]:
	"""One row per step held, in the order held."""
	return [
		(
			step["step"],
			f"{step['offered_rate_per_s']:g}",
			f"{step['served_rate_per_s']:.2f}",
			step["users"],
			step["requests"],
			step["failures"],
			number(step["p50_ms"]),
			number(step["p95_ms"]),
			number(step["p99_ms"]),
			"kept" if step["kept_sla"] else f"broke: {step['breach']}",
		)
		for step in result["steps"]
	]


def knee_lines(knee: dict) -> list[str]:
	"""The knee in words: the rate, per web worker, where and why it broke, why the search stopped."""
	if knee["requests_per_s"] is None:
		found = "No rate kept the SLA."
	else:
		per_worker = knee["requests_per_worker_per_min"]
		found = (
			f"Knee: {knee['requests_per_s']:.2f} requests/s served at {knee['offered_rate_per_s']:g} offered"
			+ (f", {per_worker:g} requests per web worker per minute" if per_worker is not None else "")
			+ (
				" (measured capacity)"
				if knee["measured"]
				else " (a lower bound: the search did not confirm it)"
			)
		)
	broke = knee["broke_at"]
	where = (
		f"Broke at step {broke['step']} ({broke['offered_rate_per_s']:g} requests/s offered): "
		if broke
		else ""
	)
	return [found, f"{where}{knee['reason']}", f"Stopped: {knee['stop_reason']}"]


def print_summary(result: dict) -> None:
	if "knee" in result:
		print_table(CURVE_COLUMNS, curve_rows(result))
		print("\n".join(knee_lines(result["knee"])))
		if result["figures"] is None:
			return
		print("At the knee:" if result["knee"]["requests_per_s"] is not None else "At the last step:")
	print_table(COLUMNS, rows(result))
	print(
		f"SLA: {result['verdict']['sla_verdict']} ({result['verdict'].get('thresholds', 'the site thresholds')})"
	)
	record = result.get("record") or {}
	if "name" in record:
		print(f"Recorded as Load Test Run {record['name']}")


def markdown(result: dict) -> str:
	"""The report an operator files: the plan, the figures per kind, the verdict and the errors."""
	if "knee" in result:
		return search_markdown(result)
	plan = result["plan"]
	lines = [
		f"# Load test of {plan['target_url']}",
		"",
		f"- Started {result['started_at']}, ended {result['ended_at']} "
		f"({result['figures']['duration_s']:g} s)",
		f"- {plan['users']} users, started {plan['spawn_rate']:g} per second, signed in as {plan['sign_in_as']}",
	]
	return "\n".join(lines + figures_markdown(result)) + "\n"


def figures_markdown(result: dict) -> list[str]:
	"""The model, mix and verdict, the table per kind, the verdict per kind and the failures."""
	plan = result["plan"]
	lines = []
	if plan["capacity_model"] and plan["target_rate_per_s"]:
		lines.append(
			f"- Target rate {plan['target_rate_per_s']:.2f} requests/s: {plan['peak_multiplier']:g} x the peak of "
			f"Capacity Model {plan['capacity_model']}"
		)
	mix = ", ".join(f"{name.removeprefix('mix_')} {share:g} %" for name, share in plan["mix"].items())
	lines += [f"- Transaction mix: {mix}", f"- SLA verdict: **{result['verdict']['sla_verdict']}**"]
	record = result.get("record") or {}
	if "name" in record:
		lines.append(f"- Recorded as Load Test Run {record['name']}")
	elif "error" in record:
		lines.append(f"- Not recorded: {record['error']}")
	lines += ["", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
	lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows(result)]
	judged = result["verdict"]["kinds"]
	reasons = [f"- {kind}: {judged[kind]['reason']}" for kind in KINDS if kind in judged]
	lines += ["", "## Verdict per kind", "", *reasons]
	if result["errors"]:
		lines += ["", "## Failures", ""]
		lines += [f"- {e['kind']}: {e['error']} ({e['occurrences']} times)" for e in result["errors"]]
	return lines


def search_markdown(result: dict) -> str:
	"""A capacity search's report: the knee first, the curve, then the knee step's figures per kind."""
	plan, limits = result["plan"], result["plan"]["search"]
	lines = [
		f"# Capacity search of {plan['target_url']}",
		"",
		f"- Started {result['started_at']}, ended {result['ended_at']}, signed in as {plan['sign_in_as']}",
		f"- Open model from {limits['start_rate_per_s']:g} requests/s up by {limits['step_rate_per_s']:g}, "
		f"each step held {limits['hold_s']:g} s (at most {limits['max_steps']} steps, {limits['max_total_s']:g} s)",
		f"- Judged by {plan['thresholds_from']}",
		"",
		*(f"**{line}**" if n == 0 else line for n, line in enumerate(knee_lines(result["knee"]))),
		"",
		"## Curve",
		"",
		"| " + " | ".join(CURVE_COLUMNS) + " |",
		"|" + "---|" * len(CURVE_COLUMNS),
		*("| " + " | ".join(str(cell) for cell in row) + " |" for row in curve_rows(result)),
	]
	if result["figures"] is not None:
		lines += [
			"",
			"## At the knee" if result["knee"]["requests_per_s"] is not None else "## At the last step",
		]
		lines += ["", *figures_markdown(result)]
	return "\n".join(lines) + "\n"
