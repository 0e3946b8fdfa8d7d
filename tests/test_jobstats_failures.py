"""Failed jobs grouped: RQ's traceback text read into an exception and a normalized message, on any text."""

import traceback

from hypothesis import given
from hypothesis import strategies as st

from perf_engine.core.jobstats import failures


def traceback_of(exc: BaseException) -> str:
	try:
		raise exc
	except BaseException as raised:
		return "".join(traceback.format_exception(raised))


def chained(outer: Exception) -> str:
	try:
		try:
			raise KeyError("first")
		except KeyError:
			raise outer
	except Exception as raised:
		return "".join(traceback.format_exception(raised))


def test_a_traceback_reads_as_its_exception_and_message():
	"""The last line of a real traceback names the exception (short name) and its message."""
	found = failures.read(traceback_of(ValueError("Customer CUST-0042 has no price list")))
	assert found == failures.Failure("ValueError", "Customer CUST-N has no price list")


def test_a_chained_traceback_reads_as_its_final_exception():
	"""'During handling of the above exception' keeps only the exception the job ended with."""
	text = chained(RuntimeError("gave up after 3 tries"))
	assert "During handling" in text
	assert failures.read(text) == failures.Failure("RuntimeError", "gave up after N tries")


def test_one_failure_with_varying_values_groups_as_one():
	"""Ids, numbers, quoted names and addresses differ between runs; the normalized message does not."""
	texts = [
		traceback_of(LookupError(f"Sales Invoice 'SINV-{n:05}' not found in {n}.{n} s at 0x{n:x}ff"))
		for n in (7, 981)
	]
	assert len({failures.read(t) for t in texts}) == 1


def test_rq_timeouts_name_their_advice():
	"""RQ's JobTimeoutException (a dotted name in the traceback) says to raise the timeout or use the long queue."""
	text = (
		'Traceback (most recent call last):\n  File "rq/worker.py", line 1428, in perform_job\n'
		"    rv = job.perform()\nrq.timeouts.JobTimeoutException: Task exceeded maximum timeout value (300 seconds)\n"
	)
	found = failures.read(text)
	assert found == failures.Failure("JobTimeoutException", "Task exceeded maximum timeout value (N seconds)")
	assert "long queue" in failures.advice(found.exception)


def test_rq_notes_without_a_traceback_say_what_happened():
	"""RQ's own notes (abandoned by a dead worker, work horse killed, stopped) point at Stalled Jobs."""
	abandoned = failures.read(
		"Moved to FailedJobRegistry, due to AbandonedJobError, at 2026-11-23 12:00:01.123"
	)
	killed = failures.read("Work-horse terminated unexpectedly; waitpid returned 9 (signal 9); ")
	stopped = failures.read("Job stopped by user, work-horse terminated.")
	assert (abandoned.exception, killed.exception, stopped.exception) == (
		failures.ABANDONED,
		failures.HORSE_KILLED,
		failures.STOPPED,
	)
	assert "Stalled Jobs" in failures.advice(abandoned.exception)
	assert "Stalled Jobs" in failures.advice(killed.exception)
	assert failures.advice("ValueError") == ""


def test_text_without_a_traceback_or_an_exception_name_is_unknown():
	"""Empty text, or a last line that names no exception, reads as unknown with what it says."""
	assert failures.read("") == failures.Failure(failures.UNKNOWN, "")
	assert failures.read(None).exception == failures.UNKNOWN
	assert (
		failures.read("Traceback (most recent call last):\n  File x\n!!! 12 broke").exception
		== failures.UNKNOWN
	)


@given(st.text(max_size=3000))
def test_any_text_gets_a_reading(text):
	"""The reader never raises: any text gets an exception name and a message at most MAX_MESSAGE long."""
	found = failures.read(text)
	assert found.exception and len(found.message) <= failures.MAX_MESSAGE
	assert len(failures.example(text)) <= failures.MAX_EXAMPLE


@given(
	st.lists(
		st.sampled_from(["Traceback (most recent call last):", "  File 'x'", "E: m", "", " ", ":", "a.b"]),
		max_size=30,
	)
)
def test_any_arrangement_of_traceback_lines_gets_a_reading(lines):
	"""Traceback-shaped fragments in any order never make the reader raise."""
	assert failures.read("\n".join(lines)).exception
