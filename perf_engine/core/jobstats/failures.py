"""Failed jobs grouped: the exception type and a normalized message read from RQ's traceback text,
and what to do where perf_engine knows.

The reader never raises: any text (empty, binary garbage, a traceback cut short) gets a type and
a message, "unknown" when none can be read.
"""

import re
from dataclasses import dataclass

UNKNOWN = "unknown"
MAX_MESSAGE = 200
MAX_EXAMPLE = 2000
# A message is masked from its first characters only: a megabyte of message costs no more.
MAX_READ = 4 * MAX_MESSAGE
TRACEBACK_HEADER = "Traceback (most recent call last):"
EXCEPTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
# What RQ writes instead of a traceback, by how the text starts: its cleanup found the job abandoned
# (the worker died), the worker saw its work horse killed (OOM, SIGKILL), or someone stopped the job.
ABANDONED = "AbandonedJobError"
HORSE_KILLED = "WorkHorseTerminated"
STOPPED = "JobStopped"
RQ_NOTES = {
	"Moved to FailedJobRegistry": ABANDONED,
	"Work-horse terminated unexpectedly": HORSE_KILLED,
	"Job stopped by user": STOPPED,
}
TIMEOUT = "JobTimeoutException"
ADVICE = {
	TIMEOUT: "The job hit its RQ timeout: raise `timeout` when enqueueing it, or move it to the long queue "
	"(perf_engine.jobs.enqueue routes by expected duration).",
	ABANDONED: "The worker died while the job ran (killed or lost): see Stalled Jobs on Queue Status, "
	"and the worker's memory.",
	HORSE_KILLED: "The work horse was killed while the job ran (often out of memory): see Stalled Jobs "
	"on Queue Status, and the worker's memory.",
	STOPPED: "Stopped on purpose: Stop on Queue Status, or RQ's stop command.",
}
# Parts of a message that differ between occurrences of one failure: quoted values, hex and numbers.
VARYING = (
	(re.compile(r"'[^']*'"), "'?'"),
	(re.compile(r'"[^"]*"'), '"?"'),
	(re.compile(r"\b0x[0-9a-fA-F]+\b"), "0x?"),
	(re.compile(r"\b[0-9a-fA-F]{8,}\b"), "?"),
	(re.compile(r"\d+(\.\d+)?"), "N"),
)


@dataclass(frozen=True)
class Failure:
	"""What one failed job's text says: the exception's short name and its message with varying parts masked."""

	exception: str
	message: str


def read(text: object) -> Failure:
	"""The exception of the last traceback in `text` (a chained one's final exception), or RQ's own note."""
	if not isinstance(text, str):
		text = "" if text is None else str(text)
	for start, exception in RQ_NOTES.items():
		if text.startswith(start):
			return Failure(exception, normalize(text.splitlines()[0]))
	line, rest = exception_line(text)
	if line is None:
		return Failure(UNKNOWN, normalize(text.strip().splitlines()[-1] if text.strip() else ""))
	name, sep, message = line.partition(":")
	name = name.strip()
	if not EXCEPTION_NAME.fullmatch(name):
		return Failure(UNKNOWN, normalize(line))
	message = " ".join([message, *rest]) if sep else " ".join(rest)
	return Failure(name.rsplit(".", 1)[-1], normalize(message))


def exception_line(text: str) -> tuple[str | None, list[str]]:
	"""The line naming the exception after the last traceback header, and the message lines after it."""
	lines = text.splitlines()
	starts = [i for i, line in enumerate(lines) if line.strip() == TRACEBACK_HEADER]
	if not starts:
		return None, []
	after = lines[starts[-1] + 1 :]
	for index, line in enumerate(after):
		if line and not line[0].isspace():
			return line, [rest.strip() for rest in after[index + 1 :] if rest.strip()]
	return None, []


def normalize(message: str) -> str:
	"""One failure's message as every occurrence of it reads: varying values masked, whitespace folded, cut short."""
	message = message[:MAX_READ]
	for pattern, mask in VARYING:
		message = pattern.sub(mask, message)
	return " ".join(message.split())[:MAX_MESSAGE]


def advice(exception: str) -> str:
	"""What to do about a failure perf_engine knows; empty when it is the job's own error."""
	return ADVICE.get(exception, "")


def example(text: object) -> str:
	"""A traceback to show: its end, where the exception is, at most MAX_EXAMPLE characters."""
	text = text if isinstance(text, str) else ""
	return text[-MAX_EXAMPLE:]
