"""A statement's fingerprint: the statement with its values taken out, so its executions group together.

One rule, read with the SQL reader's own text layer (`sql_text.segments`, which knows quotes,
backquotes and comments): comments go, quoted strings, numbers, TRUE, FALSE and NULL become
`?`, lists of values (`IN (...)`, `VALUES (...), (...)`) become `(?+)`, `LIMIT ?, ?` and
`LIMIT ? OFFSET ?` become `LIMIT ?`, white space is one space and the text is lower case.
Digits inside names (`tab2`, `t_1`) stay: they name different tables. Text the reader cannot
split (an unterminated quote, over its length limit) is fingerprinted from its first
FALLBACK_CHARS characters the same way, never refused: every statement gets a group.
Statements repeat with other values, so a plain statement's values are first taken out by one
regex pass (`quick_key`, checked equal to the reader's rule by a property test) and fingerprints
are remembered per such key (CACHED_FINGERPRINTS of them).

performance_schema's digest text is already without values, but spelled its own way
(`SELECT ``sleep`` ( ? ) , ``qty`` FROM ...`, lists as `(...)`): `from_digest` spells it back
as a statement would be (plain names, no space inside parentheses or before commas, a
function's parenthesis at its name) before the same rule runs, so both sources group alike.
"""

import re
from functools import lru_cache

from perf_engine.core.errors import UnreadableStatement
from perf_engine.core.indexes.sql_text import segments

FALLBACK_CHARS = 2000
CACHED_FINGERPRINTS = 65_536
NUMBER = re.compile(r"(?<![\w$.])(?:0x[0-9a-f]+|[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)(?![\w$])")
WORDS = re.compile(r"\b(?:true|false|null)\b")
SPACE = re.compile(r"\s+")
VALUE_LIST = re.compile(r"\b(in|values?)\s*(?:[\s,]*\([\s?,]*\))+")
LIMIT = re.compile(r"\blimit \?(?:\s*,\s*\?| offset \?)")
DIGEST_NAME = re.compile(r"`(\w+)`")
DIGEST_CALL = re.compile(
	r"`(\w+)` \(|\b(count|sum|min|max|avg|coalesce|ifnull|concat|date|lower|upper) \(", re.IGNORECASE
)
DIGEST_SPACING = (
	(re.compile(r"\(\s+"), "("),
	(re.compile(r"\s+\)"), ")"),
	(re.compile(r"\s+,"), ","),
	(re.compile(r"\s*\.\s*(?=`)"), "."),
)
DIGEST_LIST = re.compile(r"\(\s*\.\.\.\s*\)")
DIGEST_MORE = re.compile(r"\?(?:\s*,\s*\.\.\.)+")
QUOTED = re.compile(r"'(?:[^'\\]|\\.|'')*'?|\"(?:[^\"\\]|\\.|\"\")*\"?", re.DOTALL)


# The common statement, without comments, escapes or doubled quotes, has its values taken out by
# one pass of TOKEN: then its executions share one cache entry and the reader runs once per shape.
UNSAFE = re.compile(r"[#\\]|--|/\*|''|\"\"")
TOKEN = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`")
QUOTES = re.compile(r"['\"`]")
ANY_CASE_NUMBER = re.compile(NUMBER.pattern, re.IGNORECASE)
NUMBER_THEN_DOT = re.compile(f"(?>{NUMBER.pattern})\\.", re.IGNORECASE)
NAMES = re.compile(r"`[^`]*`")


def fingerprint(sql: str) -> str:
	"""The statement's group: the same for every execution that differs only in its values."""
	return read_fingerprint(quick_key(sql) or sql)


def quick_key(sql: str) -> str | None:
	"""The statement with its strings and numbers as `?` when one regex pass reads it as the reader
	would (no comment, escape, doubled or stray quote), else None."""
	if len(sql) > FALLBACK_CHARS or UNSAFE.search(sql):
		return None
	code = TOKEN.sub(string_as_value, sql)
	if QUOTES.search(NAMES.sub("", code)) or NUMBER_THEN_DOT.search(code):
		return None  # a stray quote; or `1.5.5`, where a second pass would read `?.5` as a number
	return ANY_CASE_NUMBER.sub("?", code)


def string_as_value(token: re.Match) -> str:
	return token.group() if token.group()[0] == "`" else "?"


@lru_cache(maxsize=CACHED_FINGERPRINTS)
def read_fingerprint(sql: str) -> str:
	"""The fingerprint by the SQL reader's text layer: the one rule."""
	try:
		code = "".join("?" if is_string else text for is_string, text in segments(sql))
	except UnreadableStatement:
		code = QUOTED.sub("?", sql[:FALLBACK_CHARS])
	return shape(code)


def from_digest(digest_text: str) -> str:
	"""A performance_schema digest's text, spelled back as a statement before its fingerprint is taken."""
	text = DIGEST_CALL.sub(lambda m: f"{m.group(1) or m.group(2)}(", digest_text)
	for pattern, replacement in DIGEST_SPACING:
		text = pattern.sub(replacement, text)
	text = DIGEST_MORE.sub("?", DIGEST_LIST.sub("(?)", DIGEST_NAME.sub(r"\1", text)))
	return fingerprint(text)


def shape(code: str) -> str:
	"""Values, lists, LIMIT forms and spacing folded in text that no longer holds strings or comments."""
	text = SPACE.sub(" ", code.lower()).strip().rstrip(";").strip()
	text = WORDS.sub("?", NUMBER.sub("?", text))
	text = VALUE_LIST.sub(lambda m: f"{m.group(1)} (?+)", text)
	return LIMIT.sub("limit ?", text)
