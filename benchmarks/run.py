"""Run every benchmark in this folder and write BENCHMARKS.md.

Each `bench_*.py` module exposes `run(quick: bool) -> str`, returning a Markdown section
whose figures are ratios against a baseline measured in the same run. Speed goals are
checked here, never by timed asserts in tests: the machines are shared and noisy.

    .venv/bin/python -m benchmarks.run            # full sizes, rewrites BENCHMARKS.md
    .venv/bin/python -m benchmarks.run --quick    # small sizes, prints only
    .venv/bin/python -m benchmarks.run queue      # only modules whose name contains "queue"
"""

import argparse
import importlib
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--quick", action="store_true", help="small sizes; print instead of writing the file")
	parser.add_argument("only", nargs="*", help="run only modules whose name contains one of these")
	args = parser.parse_args()
	names = sorted(p.stem for p in HERE.glob("bench_*.py"))
	names = [n for n in names if not args.only or any(o in n for o in args.only)]
	sections = []
	for name in names:
		started = time.perf_counter()
		print(f"running {name} ...", flush=True)
		section = importlib.import_module(f"benchmarks.{name}").run(quick=args.quick)
		sections.append(section.strip() + f"\n\n_{name} took {time.perf_counter() - started:.0f} s._\n")
		print(section, flush=True)
	if args.quick or args.only:
		return
	header = (
		"# Benchmarks\n\n"
		f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
		f"({platform.machine()}, Python {platform.python_version()}) by `python -m benchmarks.run`.\n"
		"Each figure is a ratio against a baseline measured in the same run.\n\n"
	)
	(HERE / "BENCHMARKS.md").write_text(header + "\n".join(sections))


if __name__ == "__main__":
	main()
