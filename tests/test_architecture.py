"""The layers hold: the core imports no Frappe, nothing imports `tasks/`, one module names the settings."""

import ast
from pathlib import Path

from perf_engine.core.settings import DOCTYPE
from tests.services import REPO_ROOT

APP = REPO_ROOT / "perf_engine"


def imported_modules(path: Path) -> set[str]:
	modules = set()
	for node in ast.walk(ast.parse(path.read_text())):
		if isinstance(node, ast.Import):
			modules |= {alias.name for alias in node.names}
		elif isinstance(node, ast.ImportFrom) and node.module:
			modules |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
	return modules


def python_files(under: Path = APP) -> list[Path]:
	return sorted(under.rglob("*.py"))


def test_the_core_never_imports_frappe_or_the_layers_above_it():
	"""Every module in core/ stays framework-free, so the CLI runs without a bench."""
	for path in python_files(APP / "core"):
		for module in imported_modules(path):
			assert not module.startswith(("frappe", "perf_engine.services", "perf_engine.api")), (
				path,
				module,
			)


def test_no_module_imports_from_tasks():
	"""tasks/ only holds the scheduler's entry points; nothing else, tests included, depends on them."""
	for path in python_files():
		if path.parent.name == "tasks":
			continue
		assert not any(m.startswith("perf_engine.tasks") for m in imported_modules(path)), path


def test_the_settings_doctype_is_named_in_one_module():
	"""Only core/settings.py spells the settings DocType's name; everyone else imports its constant."""
	naming = {
		path.relative_to(REPO_ROOT).as_posix()
		for path in [
			*python_files(),
			*python_files(REPO_ROOT / "tests"),
			*python_files(REPO_ROOT / "benchmarks"),
		]
		for node in ast.walk(ast.parse(path.read_text()))
		if isinstance(node, ast.Constant) and node.value == DOCTYPE
	}
	assert naming == {"perf_engine/core/settings.py"}
