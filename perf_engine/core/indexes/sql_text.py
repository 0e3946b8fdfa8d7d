"""Parser-ready SQL text, and the bounds that make reading any text end.

Comments are dropped; quoted strings and backquoted names are kept exactly (a backslash or a
doubled quote escapes); outside them, placeholders (`%s`, `%(name)s`, `?`) and
performance_schema digest marks (`(...)`, `? , ...`) become `?`, and literal lists of
LONG_LIST_ITEMS or more become one value. Text over MAX_STATEMENT_CHARS, an unterminated
quote, backquote or comment, and a truncated digest are refused. Each step is one pass with
`str.find` or a linear regular expression, so the work is bounded by the text's length.
"""

import re
from collections.abc import Iterator

from perf_engine.core.errors import UnreadableStatement

MAX_STATEMENT_CHARS = 20_000
LONG_LIST_ITEMS = 16  # literal lists at least this long are read as one value: IN semantics are the same

TOO_LONG = f"longer than {MAX_STATEMENT_CHARS:,} characters"
TRUNCATED = "truncated digest (ends in ...)"

QUOTE_ENDS = {"'": re.compile(r"['\\]"), '"': re.compile(r'["\\]')}
BACKTICK_END = re.compile("`")
SPECIAL_START = re.compile(r"['\"`]|/\*|--(?=\s)|#")
PLACEHOLDER = re.compile(r"%\(\w+\)s|%s(?!\w)")
DIGEST_LIST = re.compile(r"\(\s*\.\.\.\s*\)")
DIGEST_MORE = re.compile(r",\s*\.\.\.")
LITERAL = r"(?:\x00\d+\x00|[-+]?\d+(?:\.\d+)?|\?)"
LONG_LIST = re.compile(rf"\(\s*({LITERAL})(?:\s*,\s*{LITERAL}){{{LONG_LIST_ITEMS - 1},}}\s*\)")
STRING_MARK = re.compile(r"\x00(\d+)\x00")


def normalise(sql: str) -> str:
	"""Parser-ready text: comments dropped, placeholders and digest marks as `?`, long lists shortened.

	Raises UnreadableStatement for text that is too long, unterminated or a truncated digest.
	"""
	if len(sql) > MAX_STATEMENT_CHARS:
		raise UnreadableStatement(TOO_LONG)
	code, strings = [], []
	for is_string, text in segments(sql.replace("\x00", " ")):
		if is_string:
			code.append(f"\x00{len(strings)}\x00")  # a mark, so rewrites never reach inside strings
			strings.append(text)
		else:
			code.append(text)
	joined = "".join(code)
	if joined.rstrip().rstrip(";").rstrip().endswith("..."):
		raise UnreadableStatement(TRUNCATED)
	joined = DIGEST_MORE.sub("", DIGEST_LIST.sub("(?)", PLACEHOLDER.sub("?", joined)))
	joined = LONG_LIST.sub(r"(\1)", joined)
	return STRING_MARK.sub(lambda m: strings[int(m.group(1))], joined)


def segments(sql: str) -> Iterator[tuple[bool, str]]:
	"""(is_string_literal, text) pieces; comments are left out, backquoted names stay in the code."""
	position = 0
	while (start := SPECIAL_START.search(sql, position)) is not None:
		yield False, sql[position : start.start()]
		mark = start.group()
		if mark in QUOTE_ENDS:
			end = quoted_end(sql, start.start(), QUOTE_ENDS[mark])
			yield True, sql[start.start() : end]
		elif mark == "`":
			end = quoted_end(sql, start.start(), BACKTICK_END)
			yield False, sql[start.start() : end]
		elif mark == "/*":
			close = sql.find("*/", start.end())
			if close < 0:
				raise UnreadableStatement("unterminated /* comment")
			end = close + 2
			yield False, " "
		else:
			newline = sql.find("\n", start.end())
			end = len(sql) if newline < 0 else newline
		position = end
	yield False, sql[position:]


def quoted_end(sql: str, start: int, stops: re.Pattern) -> int:
	"""The index after the closing quote; a doubled quote or a backslash escapes the next character."""
	quote, position = sql[start], start + 1
	while (stop := stops.search(sql, position)) is not None:
		if stop.group() == "\\":
			position = stop.end() + 1
		elif sql.startswith(quote, stop.end()):
			position = stop.end() + 1
		else:
			return stop.end()
	raise UnreadableStatement(f"unterminated {quote} quote")
