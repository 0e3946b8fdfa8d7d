"""Entries of a MariaDB or MySQL slow query log file, split on the log's own headers.

An entry starts at its `# Time:` or `# User@Host:` header line. Its `# Query_time:` line gives the
time, lock time and rows examined, sent and affected; its database is the `Schema:` of MariaDB's `# Thread_id:` line, or
else the last `use db;`; `SET timestamp=...;` dates it. From the first other line up
to the next entry's header everything is the statement (lines starting with `#` or `use`
included), so multi-line statements stay whole. Only a bounded tail of the
file is read, and a statement is kept to one character over the SQL reader's limit on raw text
(so an IN list of thousands of names is still read), which then refuses it as too long.
"""

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from perf_engine.core.indexes.sql_text import MAX_TEXT_CHARS

SLOW_LOG_TAIL_BYTES = 16 * 1024 * 1024
# `# Time: 261123 12:56:48` (MariaDB) or `# Time: 2025-03-31T10:00:00.123456Z` (MySQL), and
# `# User@Host: user[user] @ host [ip]`: strict enough that such a line inside a logged string
# rarely passes for a header.
ENTRY_START = re.compile(r"# Time: \d[\d:.TZ -]*$|# User@Host: [^\[\s]*\[[^\]]*\] @ ")
QUERY_TIME = re.compile(r"Query_time:\s*(\d{1,15}(?:\.\d{1,15})?)")
LOCK_TIME = re.compile(r"Lock_time:\s*(\d{1,15}(?:\.\d{1,15})?)")
ROWS_EXAMINED = re.compile(r"Rows_examined:\s*(\d{1,18})")
ROWS_SENT = re.compile(r"Rows_sent:\s*(\d{1,18})")
ROWS_AFFECTED = re.compile(r"Rows_affected:\s*(\d{1,18})")
SCHEMA = re.compile(r"\bSchema:\s*(\S+)")
USE = re.compile(r"use\s+`?([^`;\s]+)`?\s*;\s*$", re.IGNORECASE)
SET_TIMESTAMP = re.compile(r"SET\s+timestamp\s*=\s*(\d{1,12})\s*;\s*$", re.IGNORECASE)
SERVER_BANNER = re.compile(r"^\S+, Version: .*started with:\s*$")


@dataclass
class SlowLogEntry:
	schema: str | None
	sql: str
	query_time_s: float
	rows_examined: int
	rows_sent: int = 0
	rows_affected: int = 0
	# Epoch seconds from the entry's `SET timestamp=...;`, when it has one.
	at: int | None = None
	lock_time_s: float = 0.0


def tail(path: str, max_bytes: int = SLOW_LOG_TAIL_BYTES) -> str:
	"""The file's last `max_bytes` from their first whole line, undecodable bytes replaced."""
	with open(path, "rb") as log:
		size = log.seek(0, os.SEEK_END)
		log.seek(max(0, size - max_bytes))
		data = log.read(max_bytes)
	if size > max_bytes:
		data = data[data.find(b"\n") + 1 :] if b"\n" in data else b""
	return data.decode(errors="replace")


def entries(text: str, schema: str | None = None) -> Iterator[SlowLogEntry]:
	"""Each logged statement with its database, time and rows examined, in file order; `schema` is the
	database in use where the text starts (a piece read after an earlier one)."""
	running_schema = schema
	entry: PendingEntry | None = None
	for line in text.splitlines():
		if ENTRY_START.match(line):
			if entry is None or entry.lines:
				if entry is not None and (done := entry.finish()):
					yield done
				entry = PendingEntry(running_schema)
			entry.header(line)
		elif SERVER_BANNER.match(line):
			if entry is not None and (done := entry.finish()):
				yield done
			entry = None
		elif entry is None:
			continue
		elif entry.lines:
			entry.add(line)
		elif use := USE.match(line.strip()):
			running_schema = entry.schema = use.group(1)
		elif line.startswith("#") or SET_TIMESTAMP.match(line.strip()):
			entry.header(line)
		else:
			entry.add(line)
	if entry is not None and (done := entry.finish()):
		yield done


class PendingEntry:
	"""One entry being collected: header fields and statement lines, the text bounded."""

	def __init__(self, schema: str | None):
		self.schema = schema
		self.query_time_s = 0.0
		self.lock_time_s = 0.0
		self.rows_examined = 0
		self.rows_sent = 0
		self.rows_affected = 0
		self.at: int | None = None
		self.lines: list[str] = []
		self.chars = 0

	def header(self, line: str) -> None:
		"""One header line's fields; each pattern runs only on a line that names its field (cheap per line)."""
		if "Query_time:" in line and (time := QUERY_TIME.search(line)):
			self.query_time_s = float(time.group(1))
		if "Lock_time:" in line and (lock := LOCK_TIME.search(line)):
			self.lock_time_s = float(lock.group(1))
		if "Rows_examined:" in line and (rows := ROWS_EXAMINED.search(line)):
			self.rows_examined = int(rows.group(1))
		if "Schema:" in line and (schema := SCHEMA.search(line)):
			self.schema = schema.group(1)
		if "Rows_sent:" in line and (sent := ROWS_SENT.search(line)):
			self.rows_sent = int(sent.group(1))
		if "Rows_affected:" in line and (affected := ROWS_AFFECTED.search(line)):
			self.rows_affected = int(affected.group(1))
		if not line.startswith("#") and (timestamp := SET_TIMESTAMP.match(line.strip())):
			self.at = int(timestamp.group(1))

	def add(self, line: str) -> None:
		"""Keep at most one character past the reader's limit: enough for it to refuse the statement."""
		room = MAX_TEXT_CHARS + 1 - self.chars
		if room > 0:
			self.lines.append(line[:room])
			self.chars += len(line[:room]) + 1

	def finish(self) -> SlowLogEntry | None:
		sql = "\n".join(self.lines).strip()
		if not sql:
			return None
		return SlowLogEntry(
			self.schema,
			sql,
			self.query_time_s,
			self.rows_examined,
			self.rows_sent,
			self.rows_affected,
			self.at,
			self.lock_time_s,
		)
