"""Connection settings resolve flags over environment over bench config over defaults."""

import json

import pytest

from perf_engine.core.config import load_settings
from perf_engine.core.errors import InvalidInput


@pytest.fixture
def bench(tmp_path):
	"""A bench folder with a common config and one site, as `bench new-site` leaves it."""
	sites = tmp_path / "sites"
	(sites / "erp.local").mkdir(parents=True)
	(sites / "common_site_config.json").write_text(
		json.dumps(
			{
				"db_host": "10.0.0.5",
				"redis_cache": "redis://127.0.0.1:13000",
				"redis_queue": "redis://127.0.0.1:11000",
				"workers": {"heavy": {"timeout": 7200}},
			}
		)
	)
	(sites / "erp.local" / "site_config.json").write_text(
		json.dumps({"db_name": "_abc123", "db_password": "secret"})
	)
	return tmp_path


def test_defaults_point_at_local_services():
	"""With nothing configured the settings point at local MariaDB as root and Redis db 0."""
	settings = load_settings(environ={})
	assert (settings.db_host, settings.db_port, settings.db_user) == ("127.0.0.1", 3306, "root")
	assert settings.redis_cache_url == "redis://127.0.0.1:6379/0"
	assert settings.qualified_queue("long") == "long"


def test_bench_site_config_is_read(bench):
	"""A bench's common and site config give hosts, credentials, Redis URLs and custom queues."""
	settings = load_settings({"bench_path": str(bench), "site": "erp.local"}, environ={})
	assert settings.db_host == "10.0.0.5"
	assert (settings.db_user, settings.db_password, settings.db_name) == ("_abc123", "secret", "_abc123")
	assert settings.redis_queue_url == "redis://127.0.0.1:11000"
	assert settings.queues == ("default", "short", "long", "heavy")
	assert settings.cache_prefix == "_abc123|"
	assert settings.qualified_queue("long") == f"{str(bench.resolve()).strip('/').replace('/', '-')}:long"


def test_environment_overrides_bench_and_flags_override_environment(bench):
	"""PERF_ENGINE_* variables beat the bench config, and explicit flags beat both."""
	environ = {
		"PERF_ENGINE_BENCH_PATH": str(bench),
		"PERF_ENGINE_DB_HOST": "db.internal",
		"PERF_ENGINE_DB_PORT": "3307",
	}
	assert load_settings(environ=environ).db_host == "db.internal"
	assert load_settings({"db_host": "flag.host"}, environ=environ).db_host == "flag.host"
	assert load_settings(environ=environ).db_port == 3307


def test_bad_inputs_say_what_is_wrong(bench, tmp_path):
	"""A missing site, a folder that is no bench and a non-numeric port are refused clearly."""
	with pytest.raises(InvalidInput, match="does not exist"):
		load_settings({"bench_path": str(bench), "site": "nope.local"}, environ={})
	with pytest.raises(InvalidInput, match="not a bench"):
		load_settings({"bench_path": str(tmp_path / "empty")}, environ={})
	with pytest.raises(InvalidInput, match="port must be a number"):
		load_settings({"db_port": "abc"}, environ={})
