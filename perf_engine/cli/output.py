"""Plain-text rendering for the CLI: tables, JSON, a progress bar on stderr, and log lines without secrets."""

import json
import logging
import sys
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from perf_engine.core.redaction import redact

BAR_WIDTH = 30


def print_json(value: Any) -> None:
	"""JSON for scripts; datetimes and other objects fall back to str."""
	print(json.dumps(value, indent=2, default=str))


def human_bytes(count: float) -> str:
	"""1536 -> '1.5 KiB'."""
	for unit in ("B", "KiB", "MiB", "GiB"):
		if abs(count) < 1024:
			return f"{count:.1f} {unit}" if unit != "B" else f"{int(count)} B"
		count /= 1024
	return f"{count:.1f} TiB"


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
	"""Left-aligned columns sized to their widest cell."""
	rows = [[str(cell) for cell in row] for row in rows]
	widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
	print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
	for row in rows:
		print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


class ProgressBar:
	"""A one-line bar on stderr, passed to core functions as their `on_progress` callback."""

	def __init__(self, label: str, stream: TextIO | None = None):
		self.label = label
		self.stream = stream or sys.stderr  # the stderr of the moment, not of import time

	def __call__(self, done: int, total: int) -> None:
		filled = int(BAR_WIDTH * done / total) if total else BAR_WIDTH
		bar = "#" * filled + "-" * (BAR_WIDTH - filled)
		end = "\n" if done >= total else ""
		self.stream.write(f"\r{self.label} [{bar}] {done}/{total}{end}")
		self.stream.flush()


class RedactingFilter(logging.Filter):
	"""Masks passwords in every log line and traceback the CLI writes."""

	def filter(self, record: logging.LogRecord) -> bool:
		record.msg, record.args = redact(record.getMessage()), None
		if record.exc_info:
			record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
		return True
