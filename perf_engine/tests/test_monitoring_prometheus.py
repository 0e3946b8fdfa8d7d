"""Debian's Prometheus scrapes two sites of this bench through a real gunicorn, signed in with a
Performance Manager's API key set up as docs/monitoring.md says, and runs the shipped rules: both
sites report one bench, every dashboard panel returns series, and an alert goes from inactive to
firing when a queue gets a job and no worker, and back when the job is gone."""

import json
import re
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from unittest.mock import patch

import frappe
from frappe.installer import update_site_config
from frappe.tests.utils import FrappeTestCase
from frappe.utils import get_bench_path
from frappe.utils.background_jobs import generate_qname
from rq import Queue

from perf_engine.core.latency import monitor
from perf_engine.services import bridge, overview
from perf_engine.services import sla as sla_service
from perf_engine.tests import prometheus
from perf_engine.tests.test_threshold_traffic import Client, process, read_json

SECOND_SITE = "perf-engine-test2.localhost"
SCRAPER = "perf-engine-prometheus@example.com"
# A queue of this test's own (in the test site's config), so its alert is the test's alone.
TEST_QUEUE = "perf_engine_monitoring_test"
JOB = "perf_engine"
# A scrape reads every figure of the site: on a loaded 2-core machine it must not time out.
SCRAPE_INTERVAL_S = 10
# The shipped rules with every `for` this short, so the test sees an alert fire in seconds.
SHORT_FOR = "1s"
FOR_LINE = re.compile(r"^(\s+for: )\S+$", flags=re.MULTILINE)
BENCH_TIMEOUT_S = 900
START_TIMEOUT_S = 60
SERIES_TIMEOUT_S = 150


def bench(site: str, *args: str) -> str:
	"""`bench --site SITE ...` in a process of its own, as an operator runs it; its output."""
	command = [sys.executable, "-m", "frappe.utils.bench_helper", "frappe", "--site", site, *args]
	done = subprocess.run(
		command,
		cwd=f"{get_bench_path()}/sites",
		capture_output=True,
		text=True,
		timeout=BENCH_TIMEOUT_S,
		check=False,
	)
	if done.returncode:
		raise AssertionError(f"bench --site {site} {' '.join(args)} failed: {done.stdout}{done.stderr}")
	return done.stdout


def has_perf_engine(site: str) -> bool:
	return any(line.startswith("perf_engine") for line in bench(site, "list-apps").splitlines())


def add_scraper(site: str, key: str, secret: str) -> None:
	"""docs/monitoring.md step 1: a Performance Manager with the fleet's key and secret."""
	bench(
		site,
		"execute",
		"frappe.delete_doc",
		"--args",
		json.dumps(["User", SCRAPER]),
		"--kwargs",
		'{"force": 1}',
	)
	bench(site, "add-user", SCRAPER, "--first-name", "Prometheus", "--add-role", "Performance Manager")
	values = {"api_key": key, "api_secret": secret}
	bench(site, "execute", "frappe.client.set_value", "--args", json.dumps(["User", SCRAPER, values]))


def shortened_rules(folder: Path) -> Path:
	"""The shipped rules file with every `for` cut to SHORT_FOR."""
	rules = folder / "perf_engine.rules.yml"
	rules.write_text(FOR_LINE.sub(rf"\g<1>{SHORT_FOR}", prometheus.RULES.read_text()))
	return rules


def values(series: list[dict]) -> list[float]:
	return [float(s["value"][1]) for s in series]


class TestPrometheusScrapesTheBench(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.site = frappe.local.site
		cls.sites = (cls.site, SECOND_SITE)
		cls.bench_name = overview.identity().bench
		cls.installs_second = not has_perf_engine(SECOND_SITE)
		cls.saved = {key: frappe.conf.get(key) for key in ("monitor", "workers")}
		cls.snapshot, cls.server, cls.processes = None, None, ExitStack()
		cls.folder = Path(tempfile.mkdtemp(prefix="perf_engine_prometheus_"))
		try:
			cls.prepare()
			cls.scrape()
		except Exception:
			cls.restore()
			raise

	@classmethod
	def prepare(cls):
		"""perf_engine on both sites, the scraper user on both, the monitor on and a queue of our own."""
		if cls.installs_second:
			# The second site's Redis cache may hold what another run's install or uninstall left.
			bench(SECOND_SITE, "clear-cache")
			bench(SECOND_SITE, "install-app", "perf_engine")
		key, secret = frappe.generate_hash(length=15), frappe.generate_hash(length=15)
		for site in cls.sites:
			add_scraper(site, key, secret)
		cls.token = cls.folder / "perf_engine.token"
		cls.token.write_text(f"{key}:{secret}")
		update_site_config("monitor", 1)
		update_site_config("workers", {**(cls.saved["workers"] or {}), TEST_QUEUE: {"timeout": 300}})

	@classmethod
	def scrape(cls):
		"""gunicorn serving both sites, Prometheus scraping them through it (by name, as nginx would
		route them) every few seconds, until each was scraped twice and a snapshot stored day figures."""
		port = prometheus.free_port()
		gunicorn = [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "2", "-t", "120"]
		cls.processes.enter_context(process("monitoring_gunicorn", [*gunicorn, "frappe.app:application"]))
		web = Client(f"http://127.0.0.1:{port}", cls.site)
		prometheus.wait_until(web.answers, START_TIMEOUT_S, "gunicorn to serve the test site")
		job = {
			"job_name": JOB,
			"metrics_path": "/api/method/perf_engine.api.metrics",
			"scrape_interval": f"{SCRAPE_INTERVAL_S}s",
			"scrape_timeout": f"{SCRAPE_INTERVAL_S}s",
			"honor_labels": True,
			"authorization": {"type": "token", "credentials_file": str(cls.token)},
			# Prometheus sends the target as the Host header: through the proxy each site is reached by
			# its own name, as a web server in front of the bench would route it.
			"proxy_url": f"http://127.0.0.1:{port}",
			"static_configs": [{"targets": list(cls.sites)}],
		}
		cls.server = prometheus.PrometheusServer(cls.folder, [job], [shortened_rules(cls.folder)])
		cls.processes.callback(cls.server.stop)
		cls.server.start()
		cls.server.wait_until(lambda: cls.server.scraped_at_least(JOB, 2, 2), SERIES_TIMEOUT_S, "two scrapes")
		# The scrapes themselves are monitored requests: a snapshot now gives day and week figures.
		with patch.object(sla_service, "SNAPSHOT_LAG", timedelta(0)):
			cls.snapshot = overview.take_snapshot()
		frappe.db.commit()
		cls.server.wait_until(
			lambda: cls.server.query(f'perf_engine_sla_seconds{{period="day", site="{cls.site}"}}'),
			SERIES_TIMEOUT_S,
			"day figures from the snapshot",
		)

	@classmethod
	def tearDownClass(cls):
		cls.restore()
		super().tearDownClass()

	@classmethod
	def restore(cls):
		"""Everything back: servers stopped, config, the snapshot, the monitor entries, the scraper user
		and (when this test installed it) perf_engine on the second site."""
		cls.processes.close()
		for key, value in cls.saved.items():
			update_site_config(key, "None" if value is None else value)
		if cls.snapshot:
			frappe.delete_doc("Perf Snapshot", cls.snapshot, force=True)
			frappe.db.commit()
		for site in cls.sites:
			db_name = read_json(f"{get_bench_path()}/sites/{site}/site_config.json")["db_name"]
			bridge.cache_redis().delete(f"{db_name}|{monitor.MONITOR_KEY}")
			bench(
				site,
				"execute",
				"frappe.delete_doc",
				"--args",
				json.dumps(["User", SCRAPER]),
				"--kwargs",
				'{"force": 1}',
			)
		if cls.installs_second and has_perf_engine(SECOND_SITE):
			bench(SECOND_SITE, "uninstall-app", "perf_engine", "--yes", "--no-backup", "--force")

	def series(self, expr: str) -> list[dict]:
		"""The query's series, waited for: recording rules and rates need a scrape or two more."""
		return self.server.wait_until(lambda: self.server.query(expr), SERIES_TIMEOUT_S, expr)

	def test_both_sites_answer_the_api_key_and_report_one_bench(self):
		"""Each site's scrape is up and its perf_engine_info names the site and this bench."""
		# Prometheus names a target host:port, the scheme's port added.
		up = {
			s["metric"]["instance"].split(":")[0]: float(s["value"][1])
			for s in self.server.query(f'up{{job="{JOB}"}}')
		}
		self.assertEqual(up, {site: 1.0 for site in self.sites})
		info = {(s["metric"]["bench"], s["metric"]["site"]) for s in self.series("perf_engine_info")}
		self.assertEqual(info, {(self.bench_name, site) for site in self.sites})

	def test_bench_wide_series_are_counted_once_for_the_bench(self):
		"""Both sites report the default queue; the recording rule keeps one copy for the bench."""
		raw = self.series('perf_engine_queue_jobs{queue="default", state="queued"}')
		self.assertEqual({s["metric"]["site"] for s in raw}, set(self.sites))
		self.assertEqual({s["metric"]["scope"] for s in raw}, {"bench"})
		recorded = self.series('bench:perf_engine_queue_jobs:max{queue="default", state="queued"}')
		self.assertEqual([s["metric"]["bench"] for s in recorded], [self.bench_name])
		self.assertEqual(values(recorded), [max(values(raw))])

	def test_every_dashboard_panel_returns_series_for_this_bench_and_site(self):
		"""Each query of each dashboard, with this bench and the test site chosen, returns series."""
		chosen = {"bench": self.bench_name, "site": self.site}
		for dashboard in prometheus.DASHBOARDS:
			self.assertEqual(
				prometheus.label_values(self.server, prometheus.variable_queries(dashboard)["site"], chosen),
				set(self.sites),
			)
			for title, expr in prometheus.dashboard_queries(dashboard):
				with self.subTest(dashboard=dashboard.stem, panel=title):
					self.assertTrue(self.series(prometheus.substitute(expr, chosen)))

	def test_a_queue_without_a_worker_fires_its_alert_and_resolves_when_emptied(self):
		"""PerfEngineQueueNoWorker for the test's queue: inactive, firing once a job waits with no
		worker, naming the bench's two sites, and inactive again once the job is gone."""
		verdict = f'bench:perf_engine_queue_health:max{{queue="{TEST_QUEUE}"}}'
		self.assertEqual(values(self.series(verdict)), [0.0])
		self.assertEqual(self.queue_alerts(), [])
		queue = Queue(generate_qname(TEST_QUEUE), connection=bridge.queue_redis())
		self.addCleanup(queue.delete, delete_jobs=True)  # out of RQ's list of queues, for whoever lists them
		job = queue.enqueue("frappe.ping")
		try:
			firing = self.server.wait_until(
				lambda: [a for a in self.queue_alerts() if a["state"] == "firing"],
				SERIES_TIMEOUT_S,
				"the alert to fire",
			)
			self.assertEqual(firing[0]["labels"]["bench"], self.bench_name)
			self.assertEqual(firing[0]["labels"]["severity"], "critical")
			self.assertTrue(
				firing[0]["annotations"]["summary"].endswith(f"(sites {', '.join(sorted(self.sites))})")
			)
		finally:
			job.delete()
		self.server.wait_until(lambda: not self.queue_alerts(), SERIES_TIMEOUT_S, "the alert to resolve")

	def queue_alerts(self) -> list[dict]:
		return [
			alert
			for alert in self.server.alerts()
			if alert["labels"]["alertname"] == "PerfEngineQueueNoWorker"
			and alert["labels"]["queue"] == TEST_QUEUE
		]
