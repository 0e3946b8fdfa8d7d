"""The slow log digest: a file read once, then only what was appended; the entry still being written is
counted but not kept; a rotated or truncated file is read again; the answer equals a fresh read's."""

import os
from pathlib import Path

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
