"""Exceptions raised by the core, each with a message an operator can act on.

The Frappe layer turns `InvalidInput` into `frappe.ValidationError`; the CLI prints the
message and exits non-zero.
"""


class PerfEngineError(Exception):
	"""Base class for every error the core raises on purpose."""


class InvalidInput(PerfEngineError, ValueError):
	"""An argument a person supplied is out of range, malformed or unknown."""


class ServiceUnavailable(PerfEngineError):
	"""MariaDB, Redis or RQ could not be reached or answered with an error."""


class UnreadableStatement(PerfEngineError, ValueError):
	"""The SQL reader refuses a statement (too long, unterminated, truncated): it is counted, never guessed."""
