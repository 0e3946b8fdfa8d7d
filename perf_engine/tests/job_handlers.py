"""Jobs the bench tests' real Frappe workers run: one that rests, one that always fails, and one another
site's job id carries."""

import time


def nap(seconds: float) -> str:
	time.sleep(seconds)
	return "rested"


def fail(message: str) -> None:
	raise ValueError(message)


def elsewhere() -> str:
	return "another site's job"
