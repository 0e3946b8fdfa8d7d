"""`bench --site SITE perf-engine COMMAND`: the `perf-engine` CLI run for a site of this bench.

Frappe collects the click commands listed in `commands`; this one hands its arguments to
the same argparse CLI (`perf_engine.cli.main`) with `--bench` and `--site` filled in, so
`bench --site erp.local perf-engine doctor` and `perf-engine --bench . --site erp.local
doctor` run the same code: doctor, capacity, queues, stalls, indexes, redis, metrics, warm,
readiness, load.
"""

import sys

import click
from frappe.commands import get_site, pass_context
from frappe.utils import get_bench_path


@click.command(
	"perf-engine",
	context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []},
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@pass_context
def perf_engine(context, args: tuple[str, ...]) -> None:
	"""perf_engine's reports for a site: doctor, capacity, queues, stalls, indexes, redis, metrics, readiness."""
	from perf_engine.cli import main

	sys.exit(main(["--bench", get_bench_path(), "--site", get_site(context), *args]))


commands = [perf_engine]
