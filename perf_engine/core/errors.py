"""Exceptions raised by the core, each with a message an operator can act on.

The Frappe layer turns them into Frappe errors (`perf_engine.bridge.core_errors`); the CLI
prints the message on one line and exits with the code `perf_engine.cli.exit_codes` gives.
"""

import redis


class PerfEngineError(Exception):
	"""Base class for every error the core raises on purpose."""


class InvalidInput(PerfEngineError, ValueError):
	"""An argument a person supplied is out of range, malformed or unknown."""


class ServiceUnavailable(PerfEngineError):
	"""MariaDB or Redis could not be reached or refused us: which, where, what failed, what to check.

	`location` is host:port/db or a socket path, never a URL with its password."""

	def __init__(self, service: str, location: str, failure: str, check: str):
		self.service = service
		self.location = location
		self.failure = failure
		self.check = check
		super().__init__(f"{service} at {location}: {failure}. Check {check}.")


class RedisUnavailable(ServiceUnavailable, redis.exceptions.ConnectionError):
	"""A Redis that cannot serve us; still a redis ConnectionError, so code that carries on
	without Redis (the cache's invalidation) keeps doing so."""


class UnreadableStatement(PerfEngineError, ValueError):
	"""The SQL reader refuses a statement (too long, unterminated, truncated): it is counted, never guessed."""


class BatchFailed(PerfEngineError):
	"""A batch of a keyset walk failed: `resume_after` is the cursor to pass back to carry on from it.

	The failed batch is the first one after that cursor, so resuming runs it again."""

	def __init__(self, what: str, resume_after: str | None, rows_done: int, cause: Exception):
		self.resume_after = resume_after
		self.rows_done = rows_done
		where = f"resume_after={resume_after!r}" if resume_after else "resume_after=None (from the start)"
		super().__init__(
			f"Processing {what} failed after {rows_done:,} rows: {type(cause).__name__}: {cause}. "
			f"Resume with {where}"
		)


class NotPermitted(PerfEngineError):
	"""An action on something that is not the site's own (another site's or user's thread, a system
	thread): refused before anything runs."""
