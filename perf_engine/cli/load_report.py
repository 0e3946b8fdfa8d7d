"""How a load test reads: a table in the terminal and a Markdown report, from the same result."""

from perf_engine.cli.output import print_table
from perf_engine.core.load.rules import KINDS

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


def print_summary(result: dict) -> None:
	print_table(COLUMNS, rows(result))
	print(
		f"SLA: {result['verdict']['sla_verdict']} ({result['verdict'].get('thresholds', 'the site thresholds')})"
	)
	record = result.get("record") or {}
	if "name" in record:
		print(f"Recorded as Load Test Run {record['name']}")


def markdown(result: dict) -> str:
	"""The report an operator files: the plan, the figures per kind, the verdict and the errors."""
	plan = result["plan"]
	lines = [
		f"# Load test of {plan['target_url']}",
		"",
		f"- Started {result['started_at']}, ended {result['ended_at']} "
		f"({result['figures']['duration_s']:g} s)",
		f"- {plan['users']} users, started {plan['spawn_rate']:g} per second, signed in as {plan['sign_in_as']}",
	]
	if plan["capacity_model"]:
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
	return "\n".join(lines) + "\n"
