"""Secrets out of anything perf_engine prints or logs: the one redaction function.

Covers a password in a URL's user part (`redis://user:secret@host`, `mysql://root:secret@db`),
a `password=` query or keyword value, and a quoted `"...password": "..."` pair (JSON, reprs).
"""

import re

MASK = "***"
# scheme://user:PASSWORD@ ; the user part may be empty (redis://:secret@host).
URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/?#@\s]*:)[^@\s/]+(?=@)")
# ?password=secret&... or password=secret in a keyword list
KEYWORD_PASSWORD = re.compile(r"(?P<head>password=)[^&\s'\",)]+", re.IGNORECASE)
# "db_password": "secret" or db_password='secret'
QUOTED_PASSWORD = re.compile(r"(?P<head>password['\"]?\s*[:=]\s*['\"])[^'\"]*", re.IGNORECASE)


def redact(text: str) -> str:
	"""The same text with every password it carries replaced by ***; any input, never raises."""
	text = str(text)
	for pattern in (URL_PASSWORD, KEYWORD_PASSWORD, QUOTED_PASSWORD):
		text = pattern.sub(lambda match: match.group("head") + MASK, text)
	return text
