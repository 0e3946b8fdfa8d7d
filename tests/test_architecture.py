"""The layers hold: the core imports no Frappe, its packages import one way, nothing imports `tasks/`,
one module names the settings."""

import ast
from pathlib import Path

from perf_engine.core.settings import DOCTYPE
from tests.services import REPO_ROOT

APP = REPO_ROOT / "perf_engine"
CORE = APP / "core"
CORE_MUST_NOT_IMPORT = ("frappe", "perf_engine.services", "perf_engine.api", "perf_engine.tasks")
# The order docs/architecture.md states: each part of core/ imports only the parts before it.
# "base" is every module at core/'s top level but settings.py, which gathers every package's limits.
CORE_ORDER = (
	"base",
	"cache",
	"jobs",
	"events",
	"indexes",
	"latency",
	"jobstats",
	"observatory",
	"capacity",
	"load",
	"query",
	"redis",
	"footprint",
	"settings",
	"health",
)
MAX_TOP_LEVEL_MODULES = 10


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
			assert not module.startswith(CORE_MUST_NOT_IMPORT), (
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


def core_part(path: Path) -> str:
	"""The part of core/ a file belongs to: its package, settings, or the base modules."""
	relative = path.relative_to(CORE)
	if len(relative.parts) > 1:
		return relative.parts[0]
	return "settings" if relative.stem == "settings" else "base"


def core_part_of_module(module: str) -> str | None:
	"""The part of core/ an imported module name points into, or None outside core/."""
	parts = module.split(".")
	if parts[:2] != ["perf_engine", "core"] or len(parts) < 3:
		return None
	if (CORE / parts[2]).is_dir():
		return parts[2]
	return "settings" if parts[2] == "settings" else "base"


def test_every_core_package_has_a_place_in_the_order():
	"""A new package of core/ says where it stands, so its imports can be checked."""
	packages = {path.name for path in CORE.iterdir() if (path / "__init__.py").exists()}
	assert packages <= set(CORE_ORDER), packages - set(CORE_ORDER)


def test_the_parts_of_the_core_import_each_other_one_way():
	"""Each package of core/ imports only the parts before it in CORE_ORDER, so there is no cycle."""
	backwards = [
		(path.relative_to(CORE).as_posix(), module)
		for path in python_files(CORE)
		for module in imported_modules(path)
		if (target := core_part_of_module(module))
		and CORE_ORDER.index(target) > CORE_ORDER.index(core_part(path))
	]
	assert backwards == []


def test_each_core_package_says_what_it_owns_in_one_line():
	"""A package's __init__.py is one docstring line and nothing else: no re-export tangles."""
	for init in CORE.glob("*/__init__.py"):
		tree = ast.parse(init.read_text())
		docstring = ast.get_docstring(tree)
		assert docstring and "\n" not in docstring, init
		assert len(tree.body) == 1, init


def test_the_top_of_the_core_holds_few_loose_modules():
	"""Capabilities live in packages; only the base modules every package uses stay at core/'s top."""
	loose = [path.name for path in CORE.glob("*.py") if path.name != "__init__.py"]
	assert len(loose) <= MAX_TOP_LEVEL_MODULES, loose
