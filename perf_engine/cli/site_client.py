"""A small REST client for one Frappe site, standard library only: read a document, call a method.

Signs in with `Authorization: token key:secret`, or with a user and password through
/api/method/login (the session cookie is kept). Failures become the core's errors: a site that
cannot be reached is ServiceUnavailable, a refusal (wrong login, no permission, a validation
error) is InvalidInput carrying the site's own message, on one line.
"""

import http.cookiejar
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from perf_engine.core.errors import InvalidInput, ServiceUnavailable

TIMEOUT_S = 30
# Frappe serves the site this header names, whatever the URL's host is.
SITE_HEADER = "X-Frappe-Site-Name"
# The site's message is enough to act on; a whole HTML error page is not.
MAX_MESSAGE_CHARS = 300


class SiteClient:
	"""One signed-in conversation with a site."""

	def __init__(self, base_url: str, authorization: str | None = None, site_name: str | None = None):
		self.base_url = base_url.rstrip("/")
		self.authorization = authorization
		self.site_name = site_name
		self.opener = urllib.request.build_opener(
			urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
		)

	def login(self, user: str, password: str) -> None:
		self.request("POST", "/api/method/login", {"usr": user, "pwd": password})

	def get_doc(self, doctype: str, name: str) -> dict:
		path = f"/api/resource/{urllib.parse.quote(doctype)}/{urllib.parse.quote(name)}"
		return self.request("GET", path)["data"]

	def call(self, method: str, **params: Any) -> Any:
		return self.request("POST", f"/api/method/{method}", params).get("message")

	def request(self, http_method: str, path: str, body: dict | None = None) -> dict:
		"""Send one request; the decoded JSON answer, or one of the core's errors."""
		data = json.dumps(body).encode() if body is not None else None
		request = urllib.request.Request(self.base_url + path, data=data, method=http_method)
		request.add_header("Accept", "application/json")
		if data is not None:
			request.add_header("Content-Type", "application/json")
		if self.authorization:
			request.add_header("Authorization", self.authorization)
		if self.site_name:
			request.add_header(SITE_HEADER, self.site_name)
		try:
			with self.opener.open(request, timeout=TIMEOUT_S) as response:
				return json.loads(response.read() or b"{}")
		except urllib.error.HTTPError as exc:
			raise InvalidInput(f"{self.base_url} refused {http_method} {path}: {site_message(exc)}")
		except (urllib.error.URLError, OSError) as exc:
			reason = getattr(exc, "reason", exc)
			raise ServiceUnavailable(
				"The site", self.base_url, f"unreachable ({reason})", "--target and that the site is up"
			)
		except ValueError:
			raise InvalidInput(f"{self.base_url} answered {http_method} {path} with something not JSON")


def site_message(error: urllib.error.HTTPError) -> str:
	"""HTTP status and Frappe's own message (exception, or the first server message)."""
	try:
		body = json.loads(error.read(64 * 1024) or b"{}")
	except ValueError:
		body = {}
	message = body.get("exception") or ""
	if not message and body.get("_server_messages"):
		try:
			first = json.loads(json.loads(body["_server_messages"])[0])
			message = first.get("message", "")
		except (ValueError, TypeError, IndexError, AttributeError):
			message = ""
	text = f"HTTP {error.code}" + (f": {message}" if message else f" {error.reason}")
	return " ".join(text.split())[:MAX_MESSAGE_CHARS]
