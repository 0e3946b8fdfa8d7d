"""The Grafana dashboards against a real Prometheus running the shipped rules: it scrapes the metrics
perf_engine renders from real figures for two sites of one bench and one site of another, and every
panel's query parses and returns series; a fleet sum counts a bench's shared queues once."""

import re
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from prometheus_client import CONTENT_TYPE_LATEST
from rq import Queue

from perf_engine.core.health.figures import collect
from perf_engine.core.health.identity import Identity
from perf_engine.core.health.metrics import render
from perf_engine.core.latency import sla
from perf_engine.core.latency.monitor import MonitorWindow, Transaction
from perf_engine.core.latency.thresholds import DEFAULT_THRESHOLDS
from perf_engine.core.settings import Settings
from perf_engine.tests import prometheus
from tests.services import connect_database, temporary_database
from tests.site_tables import SITE_TABLES, insert

SCRAPES = {"s1": Identity("b1", "s1"), "s2": Identity("b1", "s2"), "s3": Identity("b2", "s3")}
JOB = "perf_engine"
SERIES_TIMEOUT_S = 20
# A memory budget gives the cache Redis a limit, so its pressure is rendered too.
BUDGET_MB = 1024
FLEET_QUEUED = 'fleet:perf_engine_queue_jobs:sum{queue="default", state="queued"}'
QUEUES = {"default": "default", "short": "short", "long": "long"}
WINDOW_START = datetime.now(timezone.utc) - timedelta(minutes=5)
PATHS = (
	("request", "/api/method/frappe.desk.reportview.get"),
	("request", "/api/method/frappe.desk.form.load.getdoc"),
	("request", "/api/method/frappe.desk.query_report.run"),
	("request", "/api/method/ping"),
	("job", "frappe.email.queue.flush"),
)


def sla_report() -> dict:
	"""Window figures from monitor entries of every kind; the day and week as the same figures."""
	entries = [
		Transaction(kind, name, WINDOW_START + timedelta(seconds=i), 0.05 * (i % 7 + 1), uuid=f"t{i}")
		for i, (kind, name) in enumerate(PATHS * 20)
	]
	window = MonitorWindow.of(entries, since=WINDOW_START)
	figures = sla.window_figures(window)
	return sla.report(window, 15, {sla.DAY: figures, sla.WEEK: figures})


@pytest.fixture(scope="module")
def rendered(redis_db) -> Iterator[dict[str, bytes]]:
	"""Each scrape's text, rendered from figures collected off a real site database and Redis: one
	job waits in the default queue and no worker listens."""
	with temporary_database() as name:
		db = connect_database(name)
		with db.cursor() as cur:
			for statement in SITE_TABLES:
				cur.execute(statement)
		for threshold in DEFAULT_THRESHOLDS:
			insert(
				db,
				"tabPerformance Threshold",
				name=threshold.operation_type,
				operation_type=threshold.operation_type,
				value=threshold.value,
				unit=threshold.unit,
			)
		Queue("default", connection=redis_db.client).enqueue("tests.jobfuncs.add", 1, 2)
		found = collect(
			queue=redis_db.client,
			queue_names=QUEUES,
			cache=redis_db.client,
			settings=Settings(redis_memory_budget_mb=BUDGET_MB),
			now=datetime.now(),
			db=db,
		)
		db.close()
	assert not found["errors"], found["errors"]
	found["sla"] = sla_report()
	yield {path: render(found, identity) for path, identity in SCRAPES.items()}
	redis_db.reset()


def serve(texts: dict[str, bytes]) -> ThreadingHTTPServer:
	"""A loopback HTTP server answering /<scrape> with that scrape's metrics."""

	class Handler(BaseHTTPRequestHandler):
		def do_GET(self):
			body = texts.get(self.path.strip("/"))
			self.send_response(200 if body else 404)
			self.send_header("Content-Type", CONTENT_TYPE_LATEST)
			self.end_headers()
			self.wfile.write(body or b"")

		def log_message(self, *args):
			pass

	server = ThreadingHTTPServer(("127.0.0.1", prometheus.free_port()), Handler)
	threading.Thread(target=server.serve_forever, daemon=True).start()
	return server


@pytest.fixture(scope="module")
def server(rendered, tmp_path_factory) -> Iterator[prometheus.PrometheusServer]:
	"""Prometheus with the shipped rules, scraping the three sites every second until each was
	scraped twice and the rules recorded both benches."""
	http = serve(rendered)
	address = f"127.0.0.1:{http.server_address[1]}"
	targets = [
		{"targets": [address], "labels": {"__metrics_path__": f"/{path}", "instance": path}}
		for path in SCRAPES
	]
	scrape = {"job_name": JOB, "honor_labels": True, "static_configs": targets}
	running = prometheus.PrometheusServer(tmp_path_factory.mktemp("prometheus"), [scrape], [prometheus.RULES])
	try:
		running.start()
		running.wait_until(lambda: running.scraped_at_least(JOB, 2, len(SCRAPES)), 60, "two scrapes")
		running.wait_until(lambda: len(running.query("bench:perf_engine_sites:count")) == 2, 60, "the rules")
		yield running
	finally:
		running.stop()
		http.shutdown()
		http.server_close()


@pytest.mark.parametrize("dashboard", prometheus.DASHBOARDS, ids=lambda path: path.stem)
def test_every_panel_query_returns_series_for_a_bench_and_site_and_for_all(server, dashboard):
	"""Each panel query of the dashboard parses and returns at least one series, for one site and All."""
	queries = prometheus.dashboard_queries(dashboard)
	assert queries
	for variables in ({"bench": "b1", "site": "s1"}, {"bench": ".*", "site": ".*"}):
		for title, expr in queries:
			query = prometheus.substitute(expr, variables)
			# A rule's first evaluation (a rate needs two scrapes) may come a second after the scrapes.
			server.wait_until(
				lambda: server.query(query), SERIES_TIMEOUT_S, f"{dashboard.stem} / {title}: {query}"
			)


@pytest.mark.parametrize("dashboard", prometheus.DASHBOARDS, ids=lambda path: path.stem)
def test_the_bench_and_site_variables_offer_the_scraped_ones(server, dashboard):
	"""The bench variable lists both benches; the site variable lists the chosen bench's sites only."""
	variables = prometheus.variable_queries(dashboard)
	assert set(variables) == {"bench", "site"}
	assert prometheus.label_values(server, variables["bench"], {}) == {"b1", "b2"}
	assert prometheus.label_values(server, variables["site"], {"bench": "b1"}) == {"s1", "s2"}


def test_a_query_prometheus_refuses_is_reported_with_its_reason(server):
	"""A panel query that does not parse fails the check with Prometheus' own message."""
	with pytest.raises(prometheus.PromQLError, match="bad_data"):
		server.query('max by (bench (perf_engine_info{bench=~"b1"})')


def test_a_fleet_sum_counts_each_bench_once(server, rendered):
	"""Two sites of b1 report its one queued job: the fleet counts it once, beside b2's."""
	raw = server.query('sum(perf_engine_queue_jobs{queue="default", state="queued"})')
	per_bench = server.query('bench:perf_engine_queue_jobs:max{queue="default", state="queued"}')
	assert float(raw[0]["value"][1]) == 3
	assert {s["metric"]["bench"]: float(s["value"][1]) for s in per_bench} == {"b1": 1, "b2": 1}

	def fleet() -> float:
		return sum(float(s["value"][1]) for s in server.query(FLEET_QUEUED))

	# The fleet group reads what the bench group recorded at its own last evaluation.
	server.wait_until(lambda: fleet() == 2, 30, f"the fleet sum to count both benches (last {fleet()})")


def test_every_series_carries_bench_site_and_scope(server):
	"""Each scraped perf_engine series names its bench and site; bench-wide families say so."""
	for series in server.query('{__name__=~"perf_engine_.+", job="perf_engine"}'):
		labels = series["metric"]
		assert {"bench", "site", "scope"} <= set(labels), labels
	queues = server.query('perf_engine_queue_jobs{site="s1"}')
	assert queues and {s["metric"]["scope"] for s in queues} == {"bench"}
	assert {s["metric"]["scope"] for s in server.query('perf_engine_health{site="s1"}')} == {"site"}


def test_the_queue_without_a_worker_fires_its_alert_once_for_the_bench(server):
	"""PerfEngineQueueNoWorker is pending or firing once for b1's default queue, not once per site."""

	def queue_alerts() -> list[dict]:
		"""The queue alerts once both benches' have come: each bench's targets are scraped on their own."""
		found = [a for a in server.alerts() if a["labels"]["alertname"] == "PerfEngineQueueNoWorker"]
		return found if len({a["labels"]["bench"] for a in found}) >= 2 else []

	alerts = server.wait_until(queue_alerts, 30, "the queue alert of both benches")
	assert sorted((a["labels"]["bench"], a["labels"]["queue"]) for a in alerts) == [
		("b1", "default"),
		("b2", "default"),
	]
	summaries = {a["labels"]["bench"]: a["annotations"]["summary"] for a in alerts}
	assert summaries["b1"].endswith("(sites s1, s2)")


def test_every_metric_the_rules_and_dashboards_name_is_rendered(rendered):
	"""A perf_engine metric renamed or dropped would leave a rule or panel silently empty."""
	from prometheus_client.parser import text_string_to_metric_families

	families = text_string_to_metric_families(rendered["s1"].decode())
	served = {sample.name for family in families for sample in family.samples}
	texts = [prometheus.RULES.read_text(), *(path.read_text() for path in prometheus.DASHBOARDS)]
	# Recording rules (bench:perf_engine_x:max) are Prometheus' own series, not perf_engine's.
	named = {name for text in texts for name in re.findall(r"(?<![:\w])perf_engine_\w+(?![:\w])", text)}
	assert named and named <= served, sorted(named - served)
