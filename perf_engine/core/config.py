"""Where the core finds MariaDB and Redis: flags, environment, then a bench's site config.

Precedence, highest first: explicit values (CLI flags), `PERF_ENGINE_*` environment
variables, `sites/SITE/site_config.json`, `sites/common_site_config.json`, and local
defaults (127.0.0.1, root with an empty password, Redis database 0).
"""

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from perf_engine.core.errors import InvalidInput
from perf_engine.core.redaction import redact

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_QUEUES = ("default", "short", "long")
ENV_PREFIX = "PERF_ENGINE_"


@dataclass(frozen=True)
class ConnectionSettings:
	"""Everything needed to open the connections the core works on."""

	db_host: str = "127.0.0.1"
	db_port: int = 3306
	db_user: str = "root"
	db_password: str = ""
	db_name: str | None = None
	db_socket: str | None = None
	redis_cache_url: str = DEFAULT_REDIS_URL
	redis_queue_url: str = DEFAULT_REDIS_URL
	bench_path: str | None = None
	site: str | None = None
	bench_id: str | None = None
	queues: tuple[str, ...] = DEFAULT_QUEUES

	@property
	def cache_prefix(self) -> str:
		"""Frappe namespaces a site's cache keys as `<db_name>|`."""
		return f"{self.db_name}|" if self.db_name else ""

	def __repr__(self) -> str:
		"""Passwords, in db_password or inside a Redis URL, never reach a log or a traceback."""
		fields_shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self))
		return redact(f"ConnectionSettings({fields_shown})")

	@property
	def queue_names(self) -> dict[str, str]:
		"""Every queue of the bench, by the name people use -> the RQ queue name."""
		return {queue: self.qualified_queue(queue) for queue in self.queues}

	def qualified_queue(self, queue: str) -> str:
		"""Frappe names RQ queues `<bench_id>:<queue>`; without a bench the bare name."""
		return f"{self.bench_id}:{queue}" if self.bench_id else queue


def read_json(path: Path) -> dict:
	"""A missing config file is normal; a malformed one is an error worth saying."""
	if not path.is_file():
		return {}
	try:
		return json.loads(path.read_text() or "{}")
	except json.JSONDecodeError as exc:
		raise InvalidInput(f"{path} is not valid JSON: {exc}") from exc


def bench_config(bench_path: str) -> dict:
	"""The bench-wide common_site_config.json (workers, gunicorn_workers, Redis URLs...)."""
	return read_json(Path(bench_path) / "sites" / "common_site_config.json")


def site_db_names(bench_path: str) -> set[str]:
	"""The db name of every site of a bench (one small JSON file per site)."""
	sites = Path(bench_path) / "sites"
	return {name for config in sites.glob("*/site_config.json") if (name := read_json(config).get("db_name"))}


def site_conf(bench_path: str | None, site: str | None) -> dict:
	"""The config a site runs on (common_site_config.json under its own site_config.json), as frappe.conf."""
	if not bench_path or not site:
		return {}
	return {**bench_config(bench_path), **read_json(Path(bench_path) / "sites" / site / "site_config.json")}


def from_site_config(bench_path: str, site: str | None) -> dict:
	"""Translate a bench's common and site config into ConnectionSettings fields."""
	sites = Path(bench_path) / "sites"
	if not sites.is_dir():
		raise InvalidInput(f"{bench_path} is not a bench: it has no sites/ folder")
	common = bench_config(bench_path)
	site_conf = {}
	if site:
		if not (sites / site).is_dir():
			raise InvalidInput(f"Site {site!r} does not exist in {sites}")
		site_conf = read_json(sites / site / "site_config.json")
	conf = {**common, **site_conf}
	values = {
		"db_host": conf.get("db_host"),
		"db_port": conf.get("db_port"),
		"db_user": conf.get("db_user") or (conf.get("db_name") if site else None),
		"db_password": conf.get("db_password"),
		"db_name": conf.get("db_name"),
		"db_socket": conf.get("db_socket"),
		"redis_cache_url": conf.get("redis_cache"),
		"redis_queue_url": conf.get("redis_queue"),
		"bench_path": str(Path(bench_path).resolve()),
		"site": site,
		"bench_id": conf.get("bench_id") or str(Path(bench_path).resolve()).strip("/").replace("/", "-"),
		"queues": tuple(dict.fromkeys([*DEFAULT_QUEUES, *conf.get("workers", {})])),
	}
	return {key: value for key, value in values.items() if value not in (None, "")}


def from_environment(environ: Mapping[str, str]) -> dict:
	"""Read `PERF_ENGINE_DB_HOST`, `PERF_ENGINE_REDIS_CACHE_URL` and friends."""
	values = {}
	for field in fields(ConnectionSettings):
		raw = environ.get(ENV_PREFIX + field.name.upper())
		if raw is not None:
			values[field.name] = raw
	if "queues" in values:
		values["queues"] = tuple(q.strip() for q in values["queues"].split(",") if q.strip())
	return values


def load_settings(
	overrides: Mapping[str, object] | None = None, environ: Mapping[str, str] | None = None
) -> ConnectionSettings:
	"""Merge defaults, bench config, environment and explicit overrides, in that order."""
	environ = os.environ if environ is None else environ
	explicit = {k: v for k, v in (overrides or {}).items() if v not in (None, "")}
	env_values = from_environment(environ)
	bench_path = explicit.get("bench_path") or env_values.get("bench_path")
	site = explicit.get("site") or env_values.get("site")
	if site and not bench_path:
		raise InvalidInput(
			f"Site {site!r} needs its bench: pass --bench (or PERF_ENGINE_BENCH_PATH), whose sites/ holds its config"
		)
	bench_values = from_site_config(str(bench_path), site) if bench_path else {}
	merged = {**bench_values, **env_values, **explicit}
	try:
		merged["db_port"] = int(merged.get("db_port", 3306))
	except ValueError:
		raise InvalidInput(f"Database port must be a number, got {merged['db_port']!r}")
	return ConnectionSettings(**merged)
