"""Parser-ready SQL text, and the bounds that make reading any text end.

Comments are dropped; quoted strings and backquoted names are kept exactly (a backslash or a
doubled quote escapes); outside them, placeholders (`%s`, `%(name)s`, `?`) and
performance_schema digest marks (`(...)`, `? , ...`) become `?`, literal lists of
LONG_LIST_ITEMS or more become one value, and a statement that starts with REPLACE (or an
INSERT with a priority modifier sqlglot does not know) reads as the INSERT it is like. Text over
MAX_TEXT_CHARS, text still over MAX_STATEMENT_CHARS once its lists are shortened (what the parser
gets), an unterminated quote, backquote or comment, and a truncated digest are refused. Each step
is one pass with `str.find` or a linear regular expression, so the work is bounded by the text's
length.
"""

import re
from collections.abc import Iterator

from perf_engine.core.errors import UnreadableStatement

# Frappe's `["in", names]` filters send IN lists of thousands of names (200 KB and more): read whole,
# then shortened, they fit what the parser gets. A 1 MB text normalises in about 0.1 s.
MAX_TEXT_CHARS = 1_000_000
MAX_STATEMENT_CHARS = 20_000  # what sqlglot parses, once literal lists are shortened
LONG_LIST_ITEMS = 16  # literal lists at least this long are read as one value: IN semantics are the same

TOO_LONG = f"longer than {MAX_TEXT_CHARS:,} characters"
TOO_LONG_READ = f"longer than {MAX_STATEMENT_CHARS:,} characters once literal lists are shortened"
TRUNCATED = "truncated digest (ends in ...)"

QUOTE_ENDS = {"'": re.compile(r"['\\]"), '"': re.compile(r'["\\]')}
BACKTICK_END = re.compile("`")
SPECIAL_START = re.compile(r"['\"`]|/\*|--(?=\s)|#")
PLACEHOLDER = re.compile(r"%\(\w+\)s|%s(?!\w)")
DIGEST_LIST = re.compile(r"\(\s*\.\.\.\s*\)")
DIGEST_MORE = re.compile(r",\s*\.\.\.")
LITERAL = r"(?:\x00\d+\x00|[-+]?\d+(?:\.\d+)?|\?)"
# Possessive: a backtracking engine would keep a state per item, 200 MB for an unclosed list of 300,000.
LONG_LIST = re.compile(rf"\(\s*({LITERAL})(?:\s*,\s*{LITERAL}){{{LONG_LIST_ITEMS - 1},}}+\s*\)")
STRING_MARK = re.compile(r"\x00(\d+)\x00")
# sqlglot keeps `REPLACE ... SELECT` only as an opaque command and refuses INSERT's priority modifiers;
# for the indexes either statement needs, REPLACE is INSERT and the modifiers change nothing.
INSERT_LIKE = re.compile(
	r"(^|;)(\s*)(?:REPLACE|INSERT)(?:\s+(?:LOW_PRIORITY|HIGH_PRIORITY|DELAYED))?(?=\s+(?:INTO\b|[`\w]))", re.I
)


def normalise(sql: str) -> str:
	"""Parser-ready text: comments dropped, placeholders and digest marks as `?`, long lists shortened,
	REPLACE read as INSERT.

	Raises UnreadableStatement for text that is too long, unterminated or a truncated digest.
	"""
	if len(sql) > MAX_TEXT_CHARS:
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
	joined = INSERT_LIKE.sub(r"\1\2INSERT", LONG_LIST.sub(r"(\1)", joined))
	text = STRING_MARK.sub(lambda m: strings[int(m.group(1))], joined)
	if len(text) > MAX_STATEMENT_CHARS:
		raise UnreadableStatement(TOO_LONG_READ)
	return text


def compact(sql: str) -> tuple[str, str | None]:
	"""A statement as a workload source keeps it, and the reason the reader refuses it (None when it reads):
	short text as it is, longer text normalised (its lists shortened), so hundreds of statements cost what
	they say rather than their lists; a refused one is kept cut to what the reader would take."""
	if len(sql) <= MAX_STATEMENT_CHARS:
		return sql, None
	try:
		return normalise(sql), None
	except UnreadableStatement as refused:
		return sql[:MAX_STATEMENT_CHARS], str(refused)


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
