"""Connection settings resolve flags over environment over bench config over defaults."""

import json

import pytest

from perf_engine.core.config import load_settings
from perf_engine.core.errors import InvalidInput
from perf_engine.core.redaction import redact


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


def test_site_without_its_bench_is_refused_not_ignored():
	"""--site (or PERF_ENGINE_SITE) without a bench to read it from is refused instead of dropped."""
	with pytest.raises(InvalidInput, match="needs its bench"):
		load_settings({"site": "erp.local"}, environ={})
	with pytest.raises(InvalidInput, match="needs its bench"):
		load_settings(environ={"PERF_ENGINE_SITE": "erp.local"})


def test_settings_never_show_their_passwords():
	"""The settings' repr, as a log line or a traceback would print it, masks every password."""
	settings = load_settings(
		{"db_password": "db-secret", "redis_cache_url": "redis://:cache-secret@10.0.0.5:6379/1"}, environ={}
	)
	shown = repr(settings)
	assert "db-secret" not in shown and "cache-secret" not in shown
	assert "redis://:***@10.0.0.5:6379/1" in shown and "db_password='***'" in shown


@pytest.mark.parametrize(
	("text", "masked"),
	[
		("redis://:pw@host:6379/0", "redis://:***@host:6379/0"),
		("rediss://user:p%40ss@host/2", "rediss://user:***@host/2"),
		("unix://u:pw@/run/redis.sock?db=1", "unix://u:***@/run/redis.sock?db=1"),
		("mysql://root:pw@db:3306/site", "mysql://root:***@db:3306/site"),
		("redis://host:6379/0?password=pw&x=1", "redis://host:6379/0?password=***&x=1"),
		('{"db_password": "pw", "db_name": "x"}', '{"db_password": "***", "db_name": "x"}'),
		("redis://host:6379/0", "redis://host:6379/0"),
		("Access denied (using password: YES)", "Access denied (using password: YES)"),
		("", ""),
	],
)
def test_redaction_masks_passwords_wherever_they_sit(text, masked):
	"""One redaction function masks URL, keyword and quoted passwords and leaves the rest as it was."""
	assert redact(text) == masked
