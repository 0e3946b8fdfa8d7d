"""Call perf_engine's REST API through Frappe's whole WSGI stack, as Guest or as a chosen user.

Requests run in a thread of their own (as Frappe's own API tests do), so the request gets a
fresh `frappe.local` and its own database connection: what a test wants the request to see
must be committed first. Users made here are committed and reused across runs. Also here: the test case that owns
those users, and a real burst worker for tests whose jobs must run.
"""

import json
import subprocess
import sys
from threading import Thread
from typing import Any
from urllib.parse import quote

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import get_bench_path, get_test_client

PLAIN_USER = "perf-engine-plain@example.com"
MANAGER_USER = "perf-engine-manager@example.com"
PERFORMANCE_MANAGER_USER = "perf-engine-pm@example.com"


def ensure_user(email: str, roles: tuple[str, ...] = ()) -> str:
	"""A committed, enabled user with exactly these roles and fresh API credentials."""
	if frappe.db.exists("User", email):
		user = frappe.get_doc("User", email)
	else:
		user = frappe.get_doc({"doctype": "User", "email": email, "first_name": email.split("@")[0]})
		user.flags.no_welcome_mail = True
		user.insert(ignore_permissions=True)
	user.enabled = 1
	user.set("roles", [])
	user.append_roles(*roles)
	user.api_key = user.api_key or frappe.generate_hash(length=15)
	secret = frappe.generate_hash(length=15)
	user.api_secret = secret
	user.save(ignore_permissions=True)
	frappe.db.commit()
	return f"token {user.api_key}:{secret}"


class Response:
	"""Status code and decoded JSON body of one API call."""

	def __init__(self, status_code: int, body: bytes):
		self.status_code = status_code
		self.text = body.decode()
		try:
			self.json: dict[str, Any] = json.loads(self.text)
		except json.JSONDecodeError:
			self.json = {}

	@property
	def message(self) -> Any:
		return self.json.get("message")


def call(method: str, authorization: str | None = None, http_method: str = "POST", **params: Any) -> Response:
	"""POST (or GET) `/api/method/<method>` with an optional `Authorization: token key:secret`."""
	return request(http_method, f"/api/method/{method}", authorization, params)


def resource(
	http_method: str, doctype: str, name: str, authorization: str | None = None, **fields: Any
) -> Response:
	"""PUT (or GET, DELETE) `/api/resource/<doctype>/<name>`, as Desk's REST clients do."""
	return request(http_method, f"/api/resource/{quote(doctype)}/{quote(name)}", authorization, fields)


def request(http_method: str, path: str, authorization: str | None, params: dict) -> Response:
	"""One request through the WSGI app, in a thread of its own (a fresh frappe.local)."""
	headers = {"X-Frappe-Site-Name": frappe.local.site, "Accept": "application/json"}
	if authorization:
		headers["Authorization"] = authorization
	client = get_test_client()
	result: list[Response] = []

	def send() -> None:
		if http_method == "GET":
			response = client.get(path, query_string=params, headers=headers)
		else:
			response = client.open(path, method=http_method, json=params, headers=headers)
		result.append(Response(response.status_code, response.get_data()))

	thread = Thread(target=send)
	thread.start()
	thread.join()
	return result[0]


class ApiTestCase(FrappeTestCase):
	"""A test case with API tokens for a System Manager, a Performance Manager and a plain user."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.manager = ensure_user(MANAGER_USER, ("System Manager",))
		cls.performance_manager = ensure_user(PERFORMANCE_MANAGER_USER, ("Performance Manager",))
		cls.plain = ensure_user(PLAIN_USER)


def run_burst_worker(queue: str) -> None:
	"""A real Frappe RQ worker (`bench worker --burst`) that drains the queue and exits."""
	command = [sys.executable, "-m", "frappe.utils.bench_helper", "frappe", "--site", frappe.local.site]
	command += ["worker", "--queue", queue, "--burst"]
	subprocess.run(command, cwd=f"{get_bench_path()}/sites", check=True, capture_output=True, timeout=300)
