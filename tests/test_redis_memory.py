"""Redis memory status, prefix breakdown and pressure cleanup on real Redis servers."""

import json
import re

import pytest

from perf_engine.cli import main
from perf_engine.core.errors import InvalidInput
from perf_engine.core.redis import cleanup as redis_cleanup
from perf_engine.core.redis.cleanup import SCAN_COUNT, cleanup, site_prefix
from perf_engine.core.redis.memory import breakdown, memory_status, prefix_of

SITE = "_site_a|"
OTHER = "_site_b|"
PATTERNS = ("perf_engine:list:*", "document_cache::*")


def fill_bench(client, per_kind: int = 300) -> None:
	"""A bench's worth of keys: this site's caches, another site's, RQ's, sessions and locks."""
	value = "x" * 512
	with client.pipeline(transaction=False) as pipe:
		for i in range(per_kind):
			pipe.set(f"{SITE}perf_engine:list:Item:0:{i}", value)
			pipe.set(f"{SITE}document_cache::User::u{i}", value)
			pipe.set(f"{OTHER}perf_engine:list:Item:0:{i}", value)
			pipe.set(f"rq:job:{i}", value)
		pipe.hset(f"{SITE}session", "sid", value)
		pipe.set(f"{SITE}lock:document_cache::User", "1")
		pipe.set(f"{SITE}perf_engine:gen:Item", 7)
		pipe.set(f"{SITE}doctype_meta::User", value)
		pipe.execute()


def test_status_reports_pressure_against_maxmemory_or_budget(private_redis):
	"""Pressure is used/maxmemory, falls back to a budget, and is None with neither."""
	assert memory_status(private_redis)["pressure"] is None
	used = memory_status(private_redis)["used_memory"]
	assert memory_status(private_redis, budget_bytes=used * 2)["pressure"] == pytest.approx(0.5, abs=0.05)
	private_redis.config_set("maxmemory", used * 4)
	status = memory_status(private_redis, budget_bytes=1)
	assert status["limit_source"] == "maxmemory" and status["pressure"] == pytest.approx(0.25, abs=0.05)
	assert status["allocator_frag_ratio"] is not None and "share this Redis" in status["note"]


def test_breakdown_groups_sampled_keys_by_prefix(redis_client):
	"""A bounded sample is measured with MEMORY USAGE and grouped by site and key family."""
	fill_bench(redis_client, per_kind=50)
	result = breakdown(redis_client, sample=10_000)
	by_prefix = {row["prefix"]: row for row in result["prefixes"]}
	assert by_prefix[f"{SITE}perf_engine"]["keys"] == 51 and by_prefix["rq"]["keys"] == 50
	assert by_prefix[f"{SITE}document_cache"]["bytes"] > 50 * 512
	assert result["complete"]
	assert breakdown(redis_client, sample=20)["sampled_keys"] == 20
	assert prefix_of("plain") == "plain"


def test_cleanup_deletes_exactly_its_own_sites_matching_keys(redis_client):
	"""Forced cleanup removes this site's matching keys; other sites, RQ, sessions, locks and generations survive."""
	fill_bench(redis_client)
	report = cleanup(redis_client, SITE, PATTERNS, dry_run=False, force=True)
	assert report["keys"] == 600 and report["bytes"] > 600 * 512
	remaining = {k.decode() for k in redis_client.scan_iter(count=1000)}
	assert not [
		k
		for k in remaining
		if k.startswith(f"{SITE}perf_engine:list:") or k.startswith(f"{SITE}document_cache::")
	]
	assert len([k for k in remaining if k.startswith(OTHER)]) == 300
	assert len([k for k in remaining if k.startswith("rq:job:")]) == 300
	for survivor in (
		f"{SITE}session",
		f"{SITE}lock:document_cache::User",
		f"{SITE}perf_engine:gen:Item",
		f"{SITE}doctype_meta::User",
	):
		assert survivor in remaining


def logged_commands(client) -> list[tuple[bytes, int]]:
	"""Every command the server ran since its SLOWLOG was reset, as (name, number of arguments)."""
	commands = []
	for entry in client.slowlog_get(1_000_000):
		words = entry["command"].split(b" ")
		# SLOWLOG keeps 31 arguments and then "... (N more arguments)".
		more = re.search(rb"\(([0-9]+) more arguments\)$", entry["command"])
		commands.append((words[0].upper(), 30 + int(more.group(1)) if more else len(words) - 1))
	return commands


def test_cleanup_runs_only_bounded_scan_and_unlink(private_redis, monkeypatch):
	"""Across many pages Redis runs only SCAN pages and UNLINKs of at most BATCH_SIZE keys, never KEYS."""
	batch_size = 100  # far below a SCAN page, so every page must be split
	monkeypatch.setattr(redis_cleanup, "BATCH_SIZE", batch_size)
	fill_bench(private_redis)
	many_pages = 12 * SCAN_COUNT
	with private_redis.pipeline(transaction=False) as pipe:
		for i in range(many_pages):
			pipe.set(f"{SITE}document_cache::Item::i{i}", "x")
		pipe.execute()
	private_redis.config_set("slowlog-max-len", 1_000_000)
	private_redis.config_set("slowlog-log-slower-than", 0)
	private_redis.slowlog_reset()

	report = cleanup(private_redis, SITE, PATTERNS, dry_run=False, force=True)

	commands = logged_commands(private_redis)
	private_redis.config_set("slowlog-log-slower-than", -1)
	unlinked = [keys for name, keys in commands if name == b"UNLINK"]
	assert report["keys"] == sum(unlinked) == 600 + many_pages
	assert max(unlinked) <= batch_size and len(unlinked) >= (600 + many_pages) / batch_size
	assert {name for name, _ in commands} <= {b"SCAN", b"UNLINK", b"INFO", b"DBSIZE", b"SLOWLOG"}
	assert not list(private_redis.scan_iter(f"{SITE}document_cache::*"))
	assert private_redis.exists(f"{SITE}session")
	assert report["batches"] > many_pages / SCAN_COUNT


def test_cleanup_progress_runs_over_scan_pages_and_completes(redis_client):
	"""Progress counts SCAN pages against an estimate from DBSIZE, rises steadily and ends full."""
	fill_bench(redis_client, per_kind=3000)
	calls = []
	cleanup(redis_client, SITE, PATTERNS, dry_run=True, force=True, on_progress=lambda *c: calls.append(c))
	pages = len(calls) - 1
	assert calls[-1] == (pages, pages) and pages >= 20
	assert [done for done, _ in calls[:-1]] == list(range(1, pages + 1))
	estimate = calls[0][1]
	assert all(done < total for done, total in calls[:-1]) and pages / 2 < estimate < pages * 2


def test_dry_run_deletes_nothing(redis_client):
	"""A dry run counts what would go and leaves every key in place."""
	fill_bench(redis_client)
	before = redis_client.dbsize()
	report = cleanup(redis_client, SITE, PATTERNS, dry_run=True, force=True)
	assert report["keys"] == 600 and redis_client.dbsize() == before


@pytest.mark.parametrize("pattern", ["*", "perf_engine:*", "lock*", "sess*"])
def test_protected_keys_survive_patterns_that_reach_them(redis_client, pattern):
	"""Patterns that could match sessions, locks or generation counters still spare them."""
	fill_bench(redis_client, per_kind=10)
	cleanup(redis_client, SITE, [pattern], dry_run=False, force=True)
	remaining = {k.decode() for k in redis_client.scan_iter()}
	assert {f"{SITE}session", f"{SITE}lock:document_cache::User", f"{SITE}perf_engine:gen:Item"} <= remaining
	assert (f"{SITE}doctype_meta::User" in remaining) == (pattern != "*")
	assert (f"{SITE}perf_engine:list:Item:0:1" in remaining) == (pattern not in ("*", "perf_engine:*"))


def test_cleanup_at_maxmemory_stops_once_under_target(private_redis):
	"""With Redis full at maxmemory, cleanup runs, frees memory and stops when back under target."""
	fill_bench(private_redis, per_kind=3000)
	used = memory_status(private_redis)["used_memory"]
	private_redis.config_set("maxmemory-policy", "noeviction")
	private_redis.config_set("maxmemory", used)
	with pytest.raises(Exception, match="OOM"):
		private_redis.set("one-more", "x" * 10_000)
	report = cleanup(private_redis, SITE, PATTERNS, threshold=0.9, target=0.8, dry_run=False)
	assert report["stopped"] == "pressure back under target"
	assert report["pressure_after"] < 0.8 and 0 < report["keys"] < 6000
	private_redis.set("one-more", "x" * 10_000)


def test_cleanup_below_threshold_is_skipped_and_bad_limits_refused(private_redis):
	"""Below the threshold nothing is scanned; nonsensical limits and an empty prefix are refused."""
	fill_bench(private_redis, per_kind=10)
	private_redis.config_set("maxmemory", memory_status(private_redis)["used_memory"] * 10)
	report = cleanup(private_redis, SITE, PATTERNS, dry_run=False)
	assert report["skipped"] == "pressure below threshold" and report["keys"] == 0
	with pytest.raises(InvalidInput, match="target <= threshold"):
		cleanup(private_redis, SITE, PATTERNS, threshold=0.5, target=0.9)
	with pytest.raises(InvalidInput, match="full site prefix"):
		cleanup(private_redis, "", PATTERNS, dry_run=False, force=True)


def fill_site(client, db_name: str) -> set[str]:
	"""One site's keys of every kind a cleanup could reach or must spare; returns their names."""
	names = {
		f"{db_name}|perf_engine:list:Item:0:1",
		f"{db_name}|document_cache::User::u1",
		f"{db_name}|doctype_meta::User",
		f"{db_name}|session",
		f"{db_name}|lock:document_cache::User",
		f"{db_name}|perf_engine:gen:Item",
		f"{db_name}|rate-limit-counter-1",
	}
	client.mset(dict.fromkeys(names, "x"))
	return names


@pytest.mark.parametrize(
	"prefix",
	[
		"",
		"|",
		"_",
		"_a",
		"_a|",
		"||",
		"_site_a||",
		"*",
		"_site*",
		"_site_?",
		"_site_a|[",
		"_site\\_a",
		"x|y|",
	],
)
def test_bare_short_and_glob_prefixes_are_refused_and_nothing_is_deleted(redis_client, prefix):
	"""A prefix that is not one full `<db_name>|` is refused before anything is read or deleted."""
	keys = fill_site(redis_client, "_site_a") | fill_site(redis_client, "_site_ab")
	with pytest.raises(InvalidInput, match=r"glob characters|full site prefix"):
		cleanup(redis_client, prefix, ["*"], dry_run=False, force=True)
	assert redis_client.exists(*keys) == len(keys)


def test_db_name_alone_gets_its_bar_and_a_site_extending_it_keeps_every_key(redis_client):
	"""`_abc123` means `_abc123|`: a wildcard cleanup spares all of site `_abc123x`'s keys."""
	ours, theirs = fill_site(redis_client, "_abc123"), fill_site(redis_client, "_abc123x")
	assert site_prefix("_abc123") == site_prefix("_abc123|") == "_abc123|"
	report = cleanup(redis_client, "_abc123", ["*"], dry_run=False, force=True)
	assert redis_client.exists(*theirs) == len(theirs)
	gone = {key for key in ours if not redis_client.exists(key)}
	assert gone == {
		"_abc123|perf_engine:list:Item:0:1",
		"_abc123|document_cache::User::u1",
		"_abc123|doctype_meta::User",
		"_abc123|rate-limit-counter-1",
	}
	assert report["keys"] == len(gone)


def test_prefix_must_name_a_site_when_the_bench_is_known():
	"""Given the bench's db names, a fragment of one (or an unknown name) is refused."""
	assert site_prefix("_abc123", {"_abc123", "_abc123x"}) == "_abc123|"
	with pytest.raises(InvalidInput, match="no site's db name in this bench"):
		site_prefix("_abc12", {"_abc123", "_abc123x"})


def test_dry_run_lists_what_would_go_per_pattern(redis_client):
	"""A dry run reports keys, bytes and example names for each pattern, and deletes nothing."""
	fill_bench(redis_client, per_kind=20)
	before = redis_client.dbsize()
	report = cleanup(redis_client, SITE, PATTERNS, dry_run=True, force=True)
	groups = {g["pattern"]: g for g in report["by_pattern"]}
	assert set(groups) == {SITE + p for p in PATTERNS}
	listed = groups[SITE + "perf_engine:list:*"]
	assert listed["keys"] == 20 and listed["bytes"] >= 20 * 512
	assert len(listed["examples"]) == redis_cleanup.EXAMPLE_KEYS_PER_PATTERN
	assert all(k.startswith(SITE + "perf_engine:list:") for k in listed["examples"])
	assert report["bytes"] == sum(g["bytes"] for g in groups.values()) and redis_client.dbsize() == before


def make_bench(tmp_path, redis_url: str, db_names: dict[str, str]):
	"""A bench folder with one site_config.json per site and the cache Redis in common_site_config."""
	sites = tmp_path / "sites"
	sites.mkdir()
	(sites / "common_site_config.json").write_text(json.dumps({"redis_cache": redis_url}))
	for site, db_name in db_names.items():
		(sites / site).mkdir()
		(sites / site / "site_config.json").write_text(json.dumps({"db_name": db_name}))
	return tmp_path


def test_cli_refuses_a_fragment_with_one_line_and_deletes_nothing(redis_db, redis_client, tmp_path, capsys):
	"""`redis --cleanup --prefix _abc12` on a bench with site `_abc123` exits 2 with one line; keys stay."""
	bench = make_bench(tmp_path, redis_db.url, {"a.local": "_abc123", "b.local": "_abc123x"})
	keys = fill_site(redis_client, "_abc123") | fill_site(redis_client, "_abc123x")
	for prefix in ("_abc12", "_", "_abc123*"):
		argv = ["--bench", str(bench), "redis", "--cleanup", "--force", "--prefix", prefix, "--pattern", "*"]
		assert main(argv) == 2
		error = capsys.readouterr().err.strip()
		assert error.startswith("perf-engine: Redis prefix") and "\n" not in error
	assert redis_client.exists(*keys) == len(keys)
	argv = ["--bench", str(bench), "--site", "a.local", "redis", "--cleanup", "--force", "--dry-run"]
	assert main([*argv, "--pattern", "*"]) == 0
	out = capsys.readouterr().out
	assert "_abc123|*" in out and "_abc123|session" not in out and "_abc123x" not in out
