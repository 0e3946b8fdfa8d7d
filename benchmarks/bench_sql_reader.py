"""SQL reader: the sqlglot-based reader beside the former hand-written one, in the same run.

Goal (issue 18): parsing and extracting a 500-statement analysis stays well under 2 s (the
issue measured sqlglot at about 0.7 ms median per statement). Figures: per-statement median
and 95th percentile and the 500-statement total for both readers, their ratio, and how many
corpus statements each reads exactly as expected (tables with their equality, range and
ORDER BY columns: the part both readers report).
"""

import statistics
import time
from collections.abc import Callable

from benchmarks import baseline_sql_reader
from perf_engine.core.indexes.sql import read
from tests.sql_corpus import CASES, CATALOG

ANALYSIS_STATEMENTS = 500
GOAL_ANALYSIS_S = 2.0


def new_reader(statement: str) -> dict:
	"""Per table: equality and range sets and the ORDER BY list, occurrences of a table merged."""
	merged: dict[str, tuple[set, set, list]] = {}
	for use in read(statement, CATALOG.get).uses:
		merge(merged, use.table, use.equality, use.range, use.order_by)
	return nonempty(merged)


def old_reader(statement: str) -> dict:
	merged: dict[str, tuple[set, set, list]] = {}
	for table, use in baseline_sql_reader.table_uses(statement).items():
		merge(merged, table, use.equality, use.range, use.order_by)
	return nonempty(merged)


def expected(case) -> dict:
	merged: dict[str, tuple[set, set, list]] = {}
	for use in case.uses:
		merge(merged, use.table, use.eq, use.rng, use.order)
	return nonempty(merged)


def merge(merged: dict, table: str, equality: list, ranged: list, order: list) -> None:
	eq, rng, by = merged.setdefault(table, (set(), set(), []))
	eq.update(equality)
	rng.update(ranged)
	by.extend(c for c in order if c not in by)


def nonempty(merged: dict) -> dict:
	return {t: v for t, v in merged.items() if any(v)}


def per_statement_ms(reader: Callable, statements: list[str], repeats: int) -> list[float]:
	"""Each statement's best time over `repeats` runs, in ms."""
	times = []
	for statement in statements:
		best = float("inf")
		for _ in range(repeats):
			started = time.perf_counter()
			reader(statement)
			best = min(best, time.perf_counter() - started)
		times.append(best * 1000)
	return times


def analysis_s(reader: Callable, statements: list[str], rounds: int) -> float:
	"""The best of `rounds` readings of all the statements, in s."""
	best = float("inf")
	for _ in range(rounds):
		started = time.perf_counter()
		for statement in statements:
			reader(statement)
		best = min(best, time.perf_counter() - started)
	return best


def p95(values: list[float]) -> float:
	return statistics.quantiles(values, n=20)[-1]


def run(quick: bool) -> str:
	statements = [case.sql for case in CASES]
	workload = (statements * (ANALYSIS_STATEMENTS // len(statements) + 1))[:ANALYSIS_STATEMENTS]
	repeats, rounds = (1, 1) if quick else (5, 5)
	ours_each = per_statement_ms(new_reader, statements, repeats)
	old_each = per_statement_ms(old_reader, statements, repeats)
	ours = analysis_s(new_reader, workload, rounds)
	old = analysis_s(old_reader, workload, rounds)
	right_ours = sum(new_reader(case.sql) == expected(case) for case in CASES)
	right_old = sum(old_reader(case.sql) == expected(case) for case in CASES)
	return (
		f"## SQL reader on {len(statements)} corpus statements (issue 18)\n\n"
		"| reader | median per statement | 95th percentile | 500-statement analysis | read exactly as expected |\n"
		"|---|---|---|---|---|\n"
		f"| sqlglot + perf_engine's extraction | {statistics.median(ours_each):.2f} ms | {p95(ours_each):.2f} ms "
		f"| {ours:.2f} s | {right_ours} of {len(CASES)} |\n"
		f"| baseline: former hand-written reader | {statistics.median(old_each):.2f} ms | {p95(old_each):.2f} ms "
		f"| {old:.2f} s | {right_old} of {len(CASES)} |\n\n"
		f"Ratio: the sqlglot reader takes **{ours / old:.1f}x** the old reader's time for the 500-statement "
		f"analysis; absolute {ours:.2f} s (goal < {GOAL_ANALYSIS_S:.0f} s).\n"
	)
