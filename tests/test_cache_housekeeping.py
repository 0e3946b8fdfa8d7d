"""Housekeeping of generation counters on a real Redis: deleted DocTypes' counters go, the rest stay."""

import redis

from perf_engine.core.cache import housekeeping, keys
from perf_engine.core.cache.store import SiteCache

PREFIX = "_site_a|"
OTHER_PREFIX = "_site_b|"
DAY_S = 24 * 3600


def idle_counter(client: redis.Redis, prefix: str, doctype: str, idle_s: int, value: int = 3) -> str:
	"""A generation counter that looks untouched for `idle_s` (RESTORE sets its idle time)."""
	key = prefix + keys.GENERATION.format(doctype=doctype)
	client.set(key, value)
	client.restore(key, 0, client.dump(key), replace=True, idletime=idle_s)
	return key


def test_a_deleted_doctypes_counter_goes_and_a_live_ones_stays(redis_client):
	"""Only counters of DocTypes missing from the existing set are removed; their count is returned."""
	live = idle_counter(redis_client, PREFIX, "Customer", DAY_S)
	gone = idle_counter(redis_client, PREFIX, "Old Report Doc", DAY_S)
	removed = housekeeping.prune_generations(redis_client, PREFIX, {"Customer"}, min_idle_s=3600)
	assert removed == 1
	assert redis_client.exists(live) and not redis_client.exists(gone)


def test_other_sites_and_other_key_families_are_untouched(redis_client):
	"""Another site's counter of the same DocType, and this site's other keys, stay."""
	other_site = idle_counter(redis_client, OTHER_PREFIX, "Old Report Doc", DAY_S)
	mine = idle_counter(redis_client, PREFIX, "Old Report Doc", DAY_S)
	redis_client.set(PREFIX + keys.LINK_MAP_VERSION, 1)
	redis_client.set("perf_engine:gen:Old Report Doc", 1)  # no site prefix: not a site's counter
	assert housekeeping.prune_generations(redis_client, PREFIX, set(), min_idle_s=0) == 1
	assert not redis_client.exists(mine)
	assert (
		redis_client.exists(other_site, PREFIX + keys.LINK_MAP_VERSION, "perf_engine:gen:Old Report Doc") == 3
	)


def test_a_counter_used_within_min_idle_stays(redis_client):
	"""A DocType's counter read or bumped recently (created after the existing list was read) is kept."""
	cache = SiteCache(redis_client, PREFIX)
	cache.invalidate(doctypes=["Brand New"])
	assert housekeeping.prune_generations(redis_client, PREFIX, set(), min_idle_s=3600) == 0
	assert cache.generations(["Brand New"]) == [1]


def test_removals_per_run_are_bounded(redis_client):
	"""At most `limit` counters go per run; the next run takes the rest."""
	for i in range(25):
		idle_counter(redis_client, PREFIX, f"Gone {i}", DAY_S)
	assert housekeeping.prune_generations(redis_client, PREFIX, set(), min_idle_s=60, limit=10) == 10
	assert housekeeping.prune_generations(redis_client, PREFIX, set(), min_idle_s=60, limit=10) == 10
	assert housekeeping.prune_generations(redis_client, PREFIX, set(), min_idle_s=60, limit=10) == 5
	assert redis_client.keys(PREFIX + "*") == []


def test_glob_characters_in_a_prefix_match_only_themselves(redis_client):
	"""A prefix holding `*` or `[` is matched literally, so it never reaches another site's keys."""
	other = idle_counter(redis_client, "_ab|", "Gone", DAY_S)
	mine = idle_counter(redis_client, "_a*|", "Gone", DAY_S)
	assert housekeeping.prune_generations(redis_client, "_a*|", set(), min_idle_s=0) == 1
	assert redis_client.exists(other) and not redis_client.exists(mine)
