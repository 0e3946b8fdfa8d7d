"""The shipped Prometheus rules: promtool accepts them and their unit tests pass, and every alert pages
with a severity, names its site and bench, links a runbook section that exists, and is tested quiet
one evaluation before its `for` has passed and firing at it."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from perf_engine.tests.prometheus import INSTALL_HINT, RULES
from tests.services import REPO_ROOT

RULE_TESTS = sorted((RULES.parent / "tests").glob("*.test.yml"))
DOCS = REPO_ROOT / "docs" / "monitoring.md"
SEVERITIES = {"critical", "warning"}
PROMTOOL_TIMEOUT_S = 120
DURATION = re.compile(r"^(\d+)([smh])$")
SECONDS = {"s": 1, "m": 60, "h": 3600}


def promtool(*args: str) -> subprocess.CompletedProcess:
	binary = shutil.which("promtool")
	if binary is None:
		pytest.fail(INSTALL_HINT)
	return subprocess.run(
		[binary, *args], capture_output=True, text=True, timeout=PROMTOOL_TIMEOUT_S, check=False
	)


def seconds(duration: str) -> int:
	number, unit = DURATION.match(duration).groups()
	return int(number) * SECONDS[unit]


def alerts() -> list[dict]:
	groups = yaml.safe_load(RULES.read_text())["groups"]
	return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def anchors(markdown: str) -> set[str]:
	"""The anchors GitHub gives a Markdown file's headings."""
	headings = re.findall(r"^#+ (.+)$", markdown, flags=re.MULTILINE)
	return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}


def test_promtool_accepts_the_rules():
	"""`promtool check rules` passes on the shipped file."""
	result = promtool("check", "rules", str(RULES))
	assert result.returncode == 0, result.stdout + result.stderr
	assert "SUCCESS" in result.stdout


def test_the_rules_pass_their_unit_tests():
	"""`promtool test rules` passes every test file in monitoring/prometheus/tests/."""
	assert RULE_TESTS
	result = promtool("test", "rules", *map(str, RULE_TESTS))
	assert result.returncode == 0, result.stdout + result.stderr
	assert result.stdout.count("SUCCESS") == len(RULE_TESTS), result.stdout


def test_promtool_fails_a_rule_file_that_does_not_parse(tmp_path):
	"""The check would catch a broken expression: promtool refuses one, naming it."""
	broken = tmp_path / "broken.rules.yml"
	broken.write_text(
		RULES.read_text().replace("max by (bench, queue, state)", "max by (bench, queue, state", 1)
	)
	result = promtool("check", "rules", str(broken))
	assert result.returncode != 0
	assert "parse error" in result.stdout + result.stderr


@pytest.mark.parametrize("rule", alerts(), ids=lambda rule: rule["alert"])
def test_every_alert_has_a_severity_a_summary_naming_site_and_bench_and_a_runbook(rule):
	"""Severity is critical or warning; the summary names the bench and the site (or the bench's
	sites); the runbook is the alert's own section of docs/monitoring.md, which exists."""
	assert rule["labels"]["severity"] in SEVERITIES
	summary = rule["annotations"]["summary"]
	assert "$labels.bench" in summary
	assert "$labels.site" in summary or "perf_engine_info{bench=" in summary
	runbook = rule["annotations"]["runbook"]
	assert runbook == f"docs/monitoring.md#{rule['alert'].lower()}"
	assert rule["alert"].lower() in anchors(DOCS.read_text())


def test_every_alert_is_tested_quiet_just_before_its_for_and_firing_at_it():
	"""Each alert has a test where it is quiet at one evaluation and firing at the next, the firing one
	at least its `for` after the series began."""
	edges: dict[str, list[int]] = {}
	for path in RULE_TESTS:
		spec = yaml.safe_load(path.read_text())
		step = seconds(spec["evaluation_interval"])
		for test in spec["tests"]:
			cases = {
				(case["alertname"], seconds(case["eval_time"]), bool(case.get("exp_alerts")))
				for case in test.get("alert_rule_test", ())
			}
			for name, at, firing in cases:
				if firing and (name, at - step, False) in cases:
					edges.setdefault(name, []).append(at)
	for rule in alerts():
		assert rule["alert"] in edges, f"{rule['alert']} has no quiet evaluation right before a firing one"
		assert min(edges[rule["alert"]]) >= seconds(rule["for"]), rule["alert"]
