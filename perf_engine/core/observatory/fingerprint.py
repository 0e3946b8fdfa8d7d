"""A statement's fingerprint: the statement with its values taken out, so its executions group together.

One rule, read with the SQL reader's own text layer (`sql_text.segments`, which knows quotes,
backquotes and comments): comments go, quoted strings, numbers, TRUE, FALSE and NULL become
`?`, lists of values (`IN (...)`, `VALUES (...), (...)`) become `(?+)`, `LIMIT ?, ?` and
`LIMIT ? OFFSET ?` become `LIMIT ?`, white space is one space and the text is lower case.
Digits inside names (`tab2`, `t_1`) stay: they name different tables. Text the reader cannot
split (an unterminated quote, over its length limit) is fingerprinted from its first
FALLBACK_CHARS characters the same way, never refused: every statement gets a group.
Statements repeat, so fingerprints are remembered (CACHED_FINGERPRINTS of them).
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
QUOTED = re.compile(r"'(?:[^'\\]|\\.|'')*'?|\"(?:[^\"\\]|\\.|\"\")*\"?", re.DOTALL)


@lru_cache(maxsize=CACHED_FINGERPRINTS)
def fingerprint(sql: str) -> str:
	"""The statement's group: the same for every execution that differs only in its values."""
	try:
		code = "".join("?" if is_string else text for is_string, text in segments(sql))
	except UnreadableStatement:
		code = QUOTED.sub("?", sql[:FALLBACK_CHARS])
	return shape(code)


def shape(code: str) -> str:
	"""Values, lists, LIMIT forms and spacing folded in text that no longer holds strings or comments."""
	text = SPACE.sub(" ", code.lower()).strip().rstrip(";").strip()
	text = WORDS.sub("?", NUMBER.sub("?", text))
	text = VALUE_LIST.sub(lambda m: f"{m.group(1)} (?+)", text)
	return LIMIT.sub("limit ?", text)
