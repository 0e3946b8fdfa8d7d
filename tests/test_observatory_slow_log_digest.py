"""The slow log digest: a file read once, then only what was appended; the entry still being written is
counted but not kept; a rotated or truncated file is read again; the answer equals a fresh read's."""

import os
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from perf_engine.core.observatory import slow_log_digest
from perf_engine.core.observatory.top_queries import top_queries

BANNER = "/usr/sbin/mariadbd, Version: 10.11.19-MariaDB-0+deb12u1 (Debian 12). started with:\n"


def entry(n: int, schema: str = "site_a", at: int = 1_796_600_000) -> str:
	return (
		"# User@Host: site_a[site_a] @  [127.0.0.1]\n"
		f"# Thread_id: 7  Schema: {schema}  QC_hit: No\n"
		f"# Query_time: 0.{n % 9 + 1:06d}  Lock_time: 0.000010  Rows_sent: 1  Rows_examined: {n}\n"
		f"SET timestamp={at + n};\n"
		f"SELECT name FROM `tabToDo` WHERE owner = 'user{n}' AND priority = {n % 3};\n"
	)


def fresh(path: Path, database: str | None = "site_a") -> dict:
	"""The same question asked of a digest that has never seen the file."""
	slow_log_digest.forget()
	return top_queries(None, database, since=0, slow_log_file=str(path))


def test_appended_entries_are_read_and_the_answer_equals_a_fresh_read(tmp_path):
	"""After the first read only the new bytes are parsed; counts and totals equal those of a cold read."""
	path = tmp_path / "slow.log"
	path.write_text(BANNER + "".join(entry(n) for n in range(100)))
	slow_log_digest.forget()
	first = top_queries(None, "site_a", since=0, slow_log_file=str(path))
	assert first["executions"] == 100
	digest = slow_log_digest.digest_of(str(path))
	read_up_to = digest.offset
	with path.open("a") as log:
		log.write("".join(entry(n) for n in range(100, 150)) + "".join(entry(n, "site_b") for n in range(10)))
	second = top_queries(None, "site_a", since=0, slow_log_file=str(path))
	assert digest.offset > read_up_to and second["executions"] == 150
	assert second["queries"] == fresh(path)["queries"]
	assert fresh(path, "site_b")["executions"] == 10


def test_the_entry_being_written_is_counted_but_not_kept(tmp_path):
	"""The last entry is read on every call and kept only once a later header closes it."""
	path = tmp_path / "slow.log"
	path.write_text(BANNER + entry(1) + entry(2))
	slow_log_digest.forget()
	assert top_queries(None, "site_a", since=0, slow_log_file=str(path))["executions"] == 2
	assert slow_log_digest.digest_of(str(path)).kept == 1
	assert top_queries(None, "site_a", since=0, slow_log_file=str(path))["executions"] == 2, (
		"not counted twice"
	)


def test_a_rotated_or_truncated_file_is_read_again(tmp_path):
	"""A new file under the same name (another inode) or a shorter one starts the digest over."""
	path = tmp_path / "slow.log"
	path.write_text(BANNER + "".join(entry(n) for n in range(20)))
	slow_log_digest.forget()
	assert top_queries(None, "site_a", since=0, slow_log_file=str(path))["executions"] == 20
	rotated = tmp_path / "slow.log.new"
	rotated.write_text(BANNER + "".join(entry(n) for n in range(5)))
	os.replace(rotated, path)
	assert top_queries(None, "site_a", since=0, slow_log_file=str(path))["executions"] == 5
	path.write_text(BANNER + entry(1))
	assert top_queries(None, "site_a", since=0, slow_log_file=str(path))["executions"] == 1


def test_a_window_keeps_the_executions_since_its_start(tmp_path):
	"""Executions before `since` are left out by bisection; the example is one inside the window."""
	path = tmp_path / "slow.log"
	path.write_text(BANNER + "".join(entry(n) for n in range(30)))
	slow_log_digest.forget()
	found = top_queries(None, "site_a", since=1_796_600_000 + 20, slow_log_file=str(path), now=1_796_700_000)
	assert found["executions"] == 10
	assert all(f"user{n}'" not in found["queries"][0]["example"] for n in range(20))


def big_log(path: Path, entries: int) -> None:
	path.write_text(BANNER + "".join(entry(n) for n in range(entries)))


def test_a_budgeted_read_starts_with_the_newest_entries_and_fills_in_to_a_full_reads_answer(
	tmp_path, monkeypatch
):
	"""Each call reads one chunk at least, newest first, so the last minutes are there from the first
	call; when coverage says complete, the answer equals an unbudgeted read's."""
	monkeypatch.setattr(slow_log_digest, "CHUNK_BYTES", 4096)
	path = tmp_path / "slow.log"
	big_log(path, 400)
	slow_log_digest.forget()
	calls, newest_window = [], 1_796_600_000 + 390
	while not calls or not calls[-1]["coverage"]["complete"]:
		calls.append(top_queries(None, "site_a", since=0, slow_log_file=str(path), budget_s=0))
		assert len(calls) < 200, "the read never completed"
	assert len(calls) > 5 and calls[0]["coverage"]["read_fraction"] < 0.2
	assert any("still being read" in note for note in calls[0]["notes"])
	fractions = [c["coverage"]["read_fraction"] for c in calls]
	assert fractions == sorted(fractions) and fractions[-1] == 1.0
	assert [c["executions"] for c in calls] == sorted(c["executions"] for c in calls)
	slow_log_digest.forget()
	first = top_queries(None, "site_a", since=newest_window, slow_log_file=str(path), budget_s=0)
	assert first["executions"] == 10, "the newest entries come first"
	assert calls[-1]["queries"] == fresh(path)["queries"] and calls[-1]["executions"] == 400


def test_entries_appended_while_the_older_part_is_read_are_kept_once(tmp_path, monkeypatch):
	"""Reading backwards and forwards at once: nothing is counted twice or missed."""
	monkeypatch.setattr(slow_log_digest, "CHUNK_BYTES", 2048)
	path = tmp_path / "slow.log"
	big_log(path, 200)
	slow_log_digest.forget()
	top_queries(None, "site_a", since=0, slow_log_file=str(path), budget_s=0)
	with path.open("a") as log:
		log.write("".join(entry(n) for n in range(200, 260)))
	while not (found := top_queries(None, "site_a", since=0, slow_log_file=str(path), budget_s=0))[
		"coverage"
	]["complete"]:
		pass
	assert found["executions"] == 260
	assert found["queries"] == fresh(path)["queries"]


def test_a_tail_that_starts_inside_an_entry_skips_it_and_a_long_entry_is_read_whole(tmp_path, monkeypatch):
	"""The tail's first, cut entry is left out; an entry longer than a chunk is still read as one."""
	monkeypatch.setattr(slow_log_digest, "CHUNK_BYTES", 512)
	path = tmp_path / "slow.log"
	long_entry = entry(5).replace("priority = 2", "priority IN (" + ", ".join(["7"] * 400) + ")")
	path.write_text(BANNER + "".join(entry(n) for n in range(5)) + long_entry + entry(6) + entry(7))
	slow_log_digest.forget()
	whole = top_queries(None, "site_a", since=0, slow_log_file=str(path), budget_s=0.5)
	assert whole["executions"] == 8 and whole["coverage"]["complete"]
	tail = len(entry(7)) + len(entry(6)) + 10  # the last two entries and the end of the one before
	slow_log_digest.forget()
	digest = slow_log_digest.digest_of(str(path), tail_bytes=tail)
	with digest.lock:
		digest.refresh()
	assert digest.truncated and digest.kept == 1, "entry 6 kept, entry 7 still open, the cut one left out"


@settings(max_examples=40, deadline=None)
@given(
	st.integers(1, 60),
	st.lists(st.integers(0, 15), max_size=4),
	st.integers(200, 3000),
)
def test_any_chunk_size_and_appends_between_calls_give_a_full_reads_answer(first, appends, chunk):
	"""Property: however the file is cut into chunks and grows between budgeted calls, once complete
	the digest answers as a cold, unbudgeted read does."""
	with tempfile.TemporaryDirectory() as folder:
		path = Path(folder) / "slow.log"
		big_log(path, first)
		original, slow_log_digest.CHUNK_BYTES = slow_log_digest.CHUNK_BYTES, chunk
		try:
			slow_log_digest.forget()
			written = first
			for extra in appends:
				top_queries(None, "site_a", since=0, slow_log_file=str(path), budget_s=0)
				with path.open("a") as log:
					log.write("".join(entry(n) for n in range(written, written + extra)))
				written += extra
			while not (found := top_queries(None, "site_a", since=0, slow_log_file=str(path), budget_s=0))[
				"coverage"
			]["complete"]:
				pass
		finally:
			slow_log_digest.CHUNK_BYTES = original
		assert found["executions"] == written
		assert found["queries"] == fresh(path)["queries"]


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=4000), st.integers(64, 1024))
def test_any_bytes_are_read_to_the_end_without_raising(noise, chunk):
	"""Every parser ends: garbage, cut headers and stray header lines are read, never a crash or a loop."""
	with tempfile.TemporaryDirectory() as folder:
		path = Path(folder) / "slow.log"
		path.write_bytes(noise.replace(b"\x00", b"# User@Host: x\n") + entry(1).encode() + noise)
		original, slow_log_digest.CHUNK_BYTES = slow_log_digest.CHUNK_BYTES, chunk
		try:
			slow_log_digest.forget()
			found = top_queries(None, None, since=0, slow_log_file=str(path), budget_s=None)
		finally:
			slow_log_digest.CHUNK_BYTES = original
		assert found["coverage"]["complete"]
