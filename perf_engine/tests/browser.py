"""Drive Debian's headless Chromium over the DevTools protocol against a real Frappe web server.

A test starts the site's own web server (`bench serve`'s code) and Chromium, logs in by
setting a real session cookie, opens Desk routes, collects console errors and uncaught
exceptions, and saves a screenshot of each route. Errors thrown inside callbacks are
collected too: frappe.call's `.then` callbacks run in jQuery Deferreds, which swallow what
they throw (or only warn for some error types), so every page gets a hook that reports them.
"""

import base64
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import frappe
import websocket
from frappe.utils import get_bench_path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = (
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--disable-quic",
	"--no-first-run",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
	"--window-size=1400,1000",
)
# Installed before any page script runs: errors thrown in jQuery Deferred callbacks and
# unhandled promise rejections become console errors, which `Browser.record` keeps.
REPORT_CALLBACK_ERRORS = """
(() => {
	const report = (what, error) => console.error(`${what}: ${(error && (error.stack || error.message)) || error}`);
	window.addEventListener("unhandledrejection", (event) => report("Unhandled rejection", event.reason));
	const hook = () => {
		if (window.jQuery && window.jQuery.Deferred) {
			window.jQuery.Deferred.exceptionHook = (error) => report("Error in a callback", error);
		}
	};
	document.addEventListener("DOMContentLoaded", hook);
	window.addEventListener("load", hook);
})();
"""
START_TIMEOUT_S = 60
RENDER_TIMEOUT_S = 30
SETTLE_S = 2


def free_port() -> int:
	with socket.socket() as probe:
		probe.bind(("127.0.0.1", 0))
		return probe.getsockname()[1]


def wait_for_http(url: str) -> None:
	deadline = time.monotonic() + START_TIMEOUT_S
	while time.monotonic() < deadline:
		try:
			urllib.request.urlopen(url, timeout=2)
			return
		except OSError:
			time.sleep(0.3)
	raise RuntimeError(f"{url} did not answer within {START_TIMEOUT_S}s")


@contextlib.contextmanager
def web_server() -> Iterator[str]:
	"""The site served by Frappe's own development server on a free port."""
	port = free_port()
	command = [
		sys.executable,
		"-m",
		"frappe.utils.bench_helper",
		"frappe",
		"--site",
		frappe.local.site,
		"serve",
		"--port",
		str(port),
		"--noreload",
	]
	server = subprocess.Popen(
		command, cwd=f"{get_bench_path()}/sites", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
	)
	try:
		base = f"http://127.0.0.1:{port}"
		wait_for_http(f"{base}/api/method/ping")
		yield base
	finally:
		server.terminate()
		server.wait(timeout=20)


def login(base: str, user: str, password: str) -> str:
	"""A real session id from Frappe's login endpoint."""
	request = urllib.request.Request(
		f"{base}/api/method/login",
		data=json.dumps({"usr": user, "pwd": password}).encode(),
		headers={"Content-Type": "application/json"},
	)
	with urllib.request.urlopen(request) as response:
		cookies = response.headers.get_all("Set-Cookie")
	return next(c.split("=", 1)[1].split(";", 1)[0] for c in cookies if c.startswith("sid="))


class Browser:
	"""One headless Chromium tab, spoken to over the DevTools protocol."""

	def __init__(self, socket_url: str):
		self.ws = websocket.create_connection(socket_url, timeout=RENDER_TIMEOUT_S)
		self.next_id = 0
		self.errors: list[str] = []

	def send(self, method: str, **params) -> dict:
		self.next_id += 1
		self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
		while True:
			message = json.loads(self.ws.recv())
			if message.get("id") == self.next_id:
				return message.get("result", {})
			self.record(message)

	def record(self, event: dict) -> None:
		"""Keep console errors, uncaught exceptions and error log entries."""
		method, params = event.get("method"), event.get("params", {})
		if method == "Runtime.exceptionThrown":
			details = params["exceptionDetails"]
			self.errors.append(details.get("exception", {}).get("description") or details.get("text", ""))
		elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
			self.errors.append(
				" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
			)
		elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
			self.errors.append(f"{params['entry'].get('text')} {params['entry'].get('url', '')}")

	def evaluate(self, expression: str):
		return (
			self.send("Runtime.evaluate", expression=expression, returnByValue=True)
			.get("result", {})
			.get("value")
		)

	def open(self, url: str, ready: str) -> None:
		"""Navigate and wait until the `ready` JS expression is true, then let late errors arrive."""
		self.send("Page.navigate", url=url)
		deadline = time.monotonic() + RENDER_TIMEOUT_S
		while not self.evaluate(ready):
			if time.monotonic() > deadline:
				raise AssertionError(
					f"{url} did not render ({ready}) within {RENDER_TIMEOUT_S}s; errors: {self.errors}"
				)
			time.sleep(0.25)
		settle_until = time.monotonic() + SETTLE_S
		while time.monotonic() < settle_until:
			self.evaluate("1")
			time.sleep(0.25)

	def screenshot(self, path: Path) -> Path:
		data = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=False)["data"]
		path.parent.mkdir(parents=True, exist_ok=True)
		path.write_bytes(base64.b64decode(data))
		return path


@contextlib.contextmanager
def chromium(base: str, sid: str) -> Iterator[Browser]:
	"""A headless Chromium logged in to the site through the session cookie."""
	port = free_port()
	# Chromium's helper processes may still write to the profile as it exits: cleanup is best effort.
	with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
		process = subprocess.Popen(
			[
				CHROMIUM,
				*CHROMIUM_FLAGS,
				f"--remote-debugging-port={port}",
				f"--user-data-dir={profile}",
				"about:blank",
			],
			stdout=subprocess.DEVNULL,
			stderr=subprocess.DEVNULL,
		)
		try:
			wait_for_http(f"http://127.0.0.1:{port}/json/version")
			targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json"))
			page = next(t for t in targets if t["type"] == "page")
			browser = Browser(page["webSocketDebuggerUrl"])
			for domain in ("Page", "Runtime", "Log", "Network"):
				browser.send(f"{domain}.enable")
			browser.send("Page.addScriptToEvaluateOnNewDocument", source=REPORT_CALLBACK_ERRORS)
			browser.send("Network.setCookie", name="sid", value=sid, url=base)
			yield browser
		finally:
			process.terminate()
			process.wait(timeout=20)


def artifacts_dir() -> Path:
	"""Where screenshots go: $PERF_ENGINE_ARTIFACTS, else the bench's logs folder."""
	return Path(os.environ.get("PERF_ENGINE_ARTIFACTS") or f"{get_bench_path()}/logs/perf_engine_screenshots")
