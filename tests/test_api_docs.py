"""Every whitelisted method is documented in docs/api.md, with the parts a caller needs."""

import ast

from tests.services import REPO_ROOT

API = REPO_ROOT / "perf_engine" / "api"
DOCS = (REPO_ROOT / "docs" / "api.md").read_text()


def whitelisted_methods() -> list[str]:
	"""Names of functions decorated with frappe.whitelist in the api package, read from source."""
	names = []
	for path in sorted(API.glob("*.py")):
		for node in ast.walk(ast.parse(path.read_text())):
			if isinstance(node, ast.FunctionDef) and any(
				"whitelist" in ast.unparse(d) for d in node.decorator_list
			):
				names.append(node.name)
	return names


def section(name: str) -> str:
	return DOCS.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]


def test_every_whitelisted_method_has_a_complete_section():
	"""Each method has arguments, result, errors, permissions, a curl and a bench execute example."""
	methods = whitelisted_methods()
	assert len(methods) >= 20
	for name in methods:
		assert f"\n## {name}\n" in DOCS, f"{name} is not documented in docs/api.md"
		text = section(name)
		for part in (
			"**Arguments:**",
			"**Result:**",
			"**Errors:**",
			"**Permissions:**",
			"curl ",
			"Authorization: token",
			f"bench --site erp.example.com execute perf_engine.api.{name}",
		):
			assert part in text, f"{name}: missing {part}"


def test_documented_methods_exist():
	"""No section documents a method that is not whitelisted."""
	documented = {line[3:] for line in DOCS.splitlines() if line.startswith("## ") and " " not in line[3:]}
	assert documented <= set(whitelisted_methods())


def test_every_whitelisted_method_maps_core_errors():
	"""Each method wears bridge.core_errors(), so no core or Redis failure reaches a caller as a 500."""
	for path in sorted(API.glob("*.py")):
		for node in ast.walk(ast.parse(path.read_text())):
			if isinstance(node, ast.FunctionDef):
				decorators = [ast.unparse(d) for d in node.decorator_list]
				if any("whitelist" in d for d in decorators):
					assert "bridge.core_errors()" in decorators, f"{path.name}: {node.name}"
