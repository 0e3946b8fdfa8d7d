"""What `perf-engine` exits with: the same meanings for every command, so cron jobs and monitoring
checks can tell "found something" from "could not look" from "was asked wrongly"."""

import argparse

OK = 0
FINDINGS = 1
BAD_INPUT = 2  # also what argparse exits with for an unknown flag
UNAVAILABLE = 3
UNEXPECTED = 4

GENERAL = {
	OK: "done, nothing to report",
	FINDINGS: "done, and found something to act on (what, each command's --help says)",
	BAD_INPUT: "bad input: a flag, a URL, a bench or site, a setting out of range",
	UNAVAILABLE: "a service (MariaDB, cache or queue Redis) is unreachable or refused us: one line each",
	UNEXPECTED: "unexpected error: rerun with -v for the traceback and report it",
}


def epilog(findings: str | None = None) -> str:
	"""The exit-code list for a --help; `findings` is what exit 1 means for that command (None: never 1)."""
	meanings = dict(GENERAL)
	if findings is None:
		del meanings[FINDINGS]
	else:
		meanings[FINDINGS] = findings
	return "exit codes:\n" + "\n".join(f"  {code}  {text}" for code, text in meanings.items())


def add_command(
	subparsers: argparse._SubParsersAction, name: str, summary: str, findings: str | None = None
) -> argparse.ArgumentParser:
	"""A subcommand parser whose --help ends with that command's exit codes."""
	return subparsers.add_parser(
		name,
		help=summary,
		description=summary,
		epilog=epilog(findings),
		formatter_class=argparse.RawDescriptionHelpFormatter,
	)
