"""Log a recurring failure once per interval instead of on every occurrence."""

import logging
import time

DEFAULT_INTERVAL_S = 60


class RateLimitedLog:
	"""A save hook failing on every save would flood the log; once a minute says enough."""

	def __init__(self, logger: logging.Logger, interval_s: float = DEFAULT_INTERVAL_S):
		self.logger = logger
		self.interval_s = interval_s
		self.last = float("-inf")

	def error(self, message: str, *args: object) -> bool:
		"""Log unless logged within the interval; returns whether it logged."""
		return self.log(logging.ERROR, message, *args)

	def warning(self, message: str, *args: object) -> bool:
		"""A warning, under the same interval."""
		return self.log(logging.WARNING, message, *args)

	def log(self, level: int, message: str, *args: object) -> bool:
		if time.monotonic() - self.last < self.interval_s:
			return False
		self.last = time.monotonic()
		self.logger.log(level, message, *args)
		return True
