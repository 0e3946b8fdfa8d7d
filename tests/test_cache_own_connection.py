"""The connection a process keeps for its after-commit invalidation: the same result as through the
client, and it recovers as a pooled connection would (script lost, connection dropped, fork), or
fails with the client's typed error."""

import os

import pytest
import redis

from perf_engine.core.cache import links
from perf_engine.core.cache.own_connection import OwnConnection
from perf_engine.core.cache.store import DROP_AND_BUMP, SiteCache
from perf_engine.core.connections import CACHE_REDIS, service_redis
from perf_engine.core.errors import RedisUnavailable
from tests.services import RedisServer

PREFIX = "_own_test|"
DOCS = [("ToDo", "T-1"), ("Version", "V-1")]
DOCTYPES = ["ToDo", "Version", links.ANY_DOCTYPE]


def service_client(client):
	"""The plain test client as the bench would hand it over: a ServiceRedis on the same pool."""
	return service_redis(client.connection_pool, CACHE_REDIS, "redis_cache in common_site_config.json")


def filled(client) -> None:
	"""Cached documents with their leases, and a link map version to read back."""
	for doctype, name in DOCS:
		client.set(f"{PREFIX}perf_engine:doc:{doctype}:{name}", "{}")
		client.set(f"{PREFIX}perf_engine:lease:{doctype}:{name}", "token")
	client.set(links.version_key(PREFIX), 7)


def test_the_invalidation_gives_the_same_result_as_through_the_client(redis_client):
	"""Documents and leases dropped, generations bumped, the version read back: alike on both paths."""
	client = service_client(redis_client)
	for own in (None, OwnConnection(client)):
		filled(redis_client)
		cache = SiteCache(client, PREFIX, own=own)
		reply = cache.drop_and_bump(DOCS, DOCTYPES, read_back=links.version_key(PREFIX))
		assert links.version_of(reply) == 7
		assert not any(
			redis_client.exists(f"{PREFIX}perf_engine:{kind}:{d}:{n}")
			for d, n in DOCS
			for kind in ("doc", "lease")
		)
	assert [int(redis_client.get(f"{PREFIX}perf_engine:gen:{d}")) for d in DOCTYPES] == [2, 2, 2]


def test_a_script_the_server_no_longer_holds_is_loaded_again(private_redis):
	"""After SCRIPT FLUSH the next invalidation loads the script and runs it."""
	own = OwnConnection(service_client(private_redis))
	own.run_script(DROP_AND_BUMP, [f"{PREFIX}perf_engine:gen:ToDo"], [0, 0])
	private_redis.script_flush()
	own.run_script(DROP_AND_BUMP, [f"{PREFIX}perf_engine:gen:ToDo"], [0, 0])
	assert int(private_redis.get(f"{PREFIX}perf_engine:gen:ToDo")) == 2


def test_a_connection_the_server_dropped_is_made_again(private_redis):
	"""A killed connection costs no invalidation: the script is sent once more on a new one."""
	own = OwnConnection(service_client(private_redis))
	own.run_script(DROP_AND_BUMP, [f"{PREFIX}perf_engine:gen:ToDo"], [0, 0])
	first = own.command("CLIENT", "ID")
	assert private_redis.client_kill_filter(_id=first) == 1
	own.run_script(DROP_AND_BUMP, [f"{PREFIX}perf_engine:gen:ToDo"], [0, 0])
	assert int(private_redis.get(f"{PREFIX}perf_engine:gen:ToDo")) == 2
	assert own.command("CLIENT", "ID") != first


def test_an_unreachable_server_is_the_clients_typed_error(tmp_path):
	"""With the server gone, the failure names the cache Redis and where it is, as the client's does."""
	server = RedisServer(tmp_path)
	own = OwnConnection(service_client(server.start()))
	own.run_script(DROP_AND_BUMP, [f"{PREFIX}perf_engine:gen:ToDo"], [0, 0])
	server.stop()
	with pytest.raises(RedisUnavailable) as failed:
		own.run_script(DROP_AND_BUMP, [f"{PREFIX}perf_engine:gen:ToDo"], [0, 0])
	assert str(failed.value).startswith(f"{CACHE_REDIS} at localhost:{server.port}/0: cannot connect")


def test_a_forked_child_makes_its_own_connection_and_leaves_the_parents_alone(redis_client):
	"""The child's invalidation goes over a connection of its own; the parent's still works after."""
	own = OwnConnection(service_client(redis_client))
	parent_id = own.command("CLIENT", "ID")
	read, write = os.pipe()
	pid = os.fork()
	if pid == 0:  # the child: report its connection's id, never return into pytest
		try:
			own.run_script(DROP_AND_BUMP, [f"{PREFIX}perf_engine:gen:ToDo"], [0, 0])
			os.write(write, str(own.command("CLIENT", "ID")).encode())
		finally:
			os._exit(0)
	os.close(write)
	child_id = int(os.read(read, 64) or 0)
	os.close(read)
	os.waitpid(pid, 0)
	assert child_id and child_id != parent_id
	assert own.command("CLIENT", "ID") == parent_id
	own.run_script(DROP_AND_BUMP, [f"{PREFIX}perf_engine:gen:ToDo"], [0, 0])
	assert int(redis_client.get(f"{PREFIX}perf_engine:gen:ToDo")) == 2


def test_a_plain_clients_failure_stays_the_redis_error_it_was(tmp_path):
	"""Over a plain redis client (no typed errors) an unreachable server is redis-py's own ConnectionError."""
	server = RedisServer(tmp_path)
	own = OwnConnection(server.start())
	server.stop()
	with pytest.raises(redis.exceptions.ConnectionError) as failed:
		own.run_script(DROP_AND_BUMP, [f"{PREFIX}perf_engine:gen:ToDo"], [0, 0])
	assert not isinstance(failed.value, RedisUnavailable)
