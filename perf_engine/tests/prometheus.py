"""A real Prometheus for tests (Debian's `prometheus` package), and the shipped dashboards' queries.

The server gets a config of the test's own (written as JSON, which Prometheus reads as YAML), a
free loopback port and a temporary data folder, and is stopped by its own pid. Used by the core
tier (scraping rendered figures) and the bench tier (scraping a site over HTTP); imports no Frappe.
"""

import json
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

MONITORING = Path(__file__).resolve().parents[2] / "monitoring"
RULES = MONITORING / "prometheus" / "perf_engine.rules.yml"
DASHBOARDS = tuple(sorted((MONITORING / "grafana").glob("*.json")))
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 20
HTTP_TIMEOUT_S = 30
POLL_S = 0.5
# Grafana's multi-value variables become a regex; these characters are escaped in it.
REGEX_SPECIAL = re.compile(r"([.+*?()\[\]{}|^$\\])")
VARIABLE = re.compile(r"\$(\w+)")
LABEL_VALUES = re.compile(r"^label_values\((?:(?P<selector>.+),\s*)?(?P<label>\w+)\)$")
INSTALL_HINT = (
	"Debian's prometheus package is not installed: bash .ci/run installs it (apt-get install prometheus)"
)


def free_port() -> int:
	with socket.socket() as probe:
		probe.bind(("127.0.0.1", 0))
		return probe.getsockname()[1]


def wait_until(condition: Callable[[], Any], timeout_s: float, what: str) -> Any:
	"""The condition's first truthy answer, asked every POLL_S until timeout_s has passed."""
	deadline = time.monotonic() + timeout_s
	while time.monotonic() < deadline:
		if found := condition():
			return found
		time.sleep(POLL_S)
	raise AssertionError(f"waited {timeout_s:g} s for {what}")


class PromQLError(Exception):
	"""Prometheus refused a query: its error type and message."""


class PrometheusServer:
	"""One prometheus process on 127.0.0.1 with the given scrape jobs and rule files."""

	def __init__(
		self, workdir: Path, scrape_configs: list[dict], rule_files: list[Path], interval_s: int = 1
	):
		self.workdir, self.port = workdir, free_port()
		self.url = f"http://127.0.0.1:{self.port}"
		self.config = {
			"global": {"scrape_interval": f"{interval_s}s", "evaluation_interval": f"{interval_s}s"},
			"rule_files": [str(path) for path in rule_files],
			"scrape_configs": scrape_configs,
		}
		self.process: subprocess.Popen | None = None

	def start(self) -> "PrometheusServer":
		binary = shutil.which("prometheus")
		if binary is None:
			raise RuntimeError(INSTALL_HINT)
		config = self.workdir / "prometheus.json"
		config.write_text(json.dumps(self.config, indent=1))
		log = open(self.workdir / "prometheus.log", "ab")
		command = [
			binary,
			f"--config.file={config}",
			f"--storage.tsdb.path={self.workdir / 'data'}",
			f"--web.listen-address=127.0.0.1:{self.port}",
			"--log.level=warn",
		]
		self.process = subprocess.Popen(command, stdout=log, stderr=log)
		log.close()
		self.wait_until(self.ready, START_TIMEOUT_S, "Prometheus to start")
		return self

	def stop(self) -> None:
		if self.process is None:
			return
		self.process.terminate()
		try:
			self.process.wait(timeout=STOP_TIMEOUT_S)
		except subprocess.TimeoutExpired:
			self.process.kill()
			self.process.wait(timeout=STOP_TIMEOUT_S)
		self.process = None

	def log_tail(self, limit: int = 4000) -> str:
		path = self.workdir / "prometheus.log"
		return path.read_text(errors="replace")[-limit:] if path.exists() else ""

	def ready(self) -> bool:
		if self.process is not None and self.process.poll() is not None:
			raise RuntimeError(f"prometheus exited with {self.process.returncode}: {self.log_tail()}")
		try:
			with urllib.request.urlopen(f"{self.url}/-/ready", timeout=HTTP_TIMEOUT_S) as response:
				return response.status == 200
		except (urllib.error.URLError, ConnectionError):
			return False

	def api(self, path: str, **params: str) -> Any:
		"""The `data` of one API answer; a refusal raises PromQLError with Prometheus' own message."""
		url = f"{self.url}/api/v1/{path}?{urllib.parse.urlencode(params)}"
		try:
			with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_S) as response:
				answer = json.load(response)
		except urllib.error.HTTPError as exc:
			answer = json.loads(exc.read() or b"{}")
		if answer.get("status") != "success":
			raise PromQLError(f"{answer.get('errorType')}: {answer.get('error')}")
		return answer["data"]

	def query(self, expr: str) -> list[dict]:
		"""An instant query's series, each {"metric": labels, "value": [time, "value"]}."""
		return self.api("query", query=expr)["result"]

	def alerts(self) -> list[dict]:
		return self.api("alerts")["alerts"]

	def wait_until(self, condition: Callable[[], Any], timeout_s: float, what: str) -> Any:
		"""wait_until, with each target's last scrape and what Prometheus logged when it times out."""
		try:
			return wait_until(condition, timeout_s, what)
		except AssertionError as exc:
			raise AssertionError(
				f"{exc}; targets: {self.targets()}; prometheus said: {self.log_tail()}"
			) from None

	def targets(self) -> list[str]:
		"""Each scrape target's health, last scrape's duration and error: why a series may be missing."""
		return [
			f"{t['scrapeUrl']} {t['health']} {t['lastScrapeDuration']:.2f}s {t['lastError']}".strip()
			for t in self.api("targets")["activeTargets"]
		]

	def scraped_at_least(self, job: str, scrapes: int, targets: int) -> bool:
		"""Every one of `targets` targets of `job` was scraped `scrapes` times, successfully or not."""
		counts = self.query(f'count_over_time(up{{job="{job}"}}[10m])')
		return len(counts) >= targets and all(float(s["value"][1]) >= scrapes for s in counts)


def panels(dashboard: dict) -> list[dict]:
	"""Every panel with queries, those inside collapsed rows too."""
	found = []
	for panel in dashboard["panels"]:
		found += panels(panel) if panel.get("type") == "row" else [panel]
	return [panel for panel in found if panel.get("targets")]


def dashboard_queries(path: Path) -> list[tuple[str, str]]:
	"""(panel title, PromQL) for every query of every panel of a dashboard file."""
	dashboard = json.loads(path.read_text())
	return [(panel["title"], target["expr"]) for panel in panels(dashboard) for target in panel["targets"]]


def variable_queries(path: Path) -> dict[str, str]:
	"""The dashboard's query variables: name -> Grafana's label_values(...) query."""
	templating = json.loads(path.read_text())["templating"]["list"]
	return {v["name"]: v["definition"] for v in templating if v["type"] == "query"}


def label_values(server: PrometheusServer, query: str, variables: dict[str, str]) -> set[str]:
	"""What Grafana offers for a label_values(selector, label) variable, asked as PromQL."""
	match = LABEL_VALUES.match(substitute(query, variables))
	if not match:
		raise AssertionError(f"not a label_values() variable: {query}")
	label = match["label"]
	series = server.query(f"count by ({label}) ({match['selector']})")
	return {s["metric"][label] for s in series if label in s["metric"]}


def regex_value(value: str) -> str:
	"""A variable's value as Grafana puts it in a =~ matcher: regex characters escaped (".*" for All)."""
	return value if value == ".*" else REGEX_SPECIAL.sub(r"\\\\\1", value)


def substitute(expr: str, variables: dict[str, str]) -> str:
	"""The query Grafana sends for these variable values; a variable left unset is an error."""

	def value(match: re.Match) -> str:
		if match[1] not in variables:
			raise AssertionError(f"{expr} uses ${match[1]}, which the test does not set")
		return regex_value(variables[match[1]])

	return VARIABLE.sub(value, expr)
