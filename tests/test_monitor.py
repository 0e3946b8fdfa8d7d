"""Frappe's monitor read for one site: the Redis list in bounded pages, the shared log from its end."""

from datetime import datetime, timedelta, timezone

from perf_engine.core.latency import monitor
from perf_engine.core.latency.monitor import MONITOR_KEY, PAGE_SIZE, read_window
from tests.monitor_entries import monitor_entry
from tests.test_redis_memory import logged_commands

PREFIX = "_site_db|"
SITE, OTHER_SITE = "erp.example.com", "shop.example.com"
NOW = datetime(2026, 11, 22, 12, 0, 30, tzinfo=timezone.utc)
WINDOW = timedelta(minutes=15)
OLD = NOW - timedelta(hours=2)


def push(client, entries: list[str]) -> None:
	for start in range(0, len(entries), 10_000):
		client.rpush(PREFIX + MONITOR_KEY, *entries[start : start + 10_000])


def write_log(path, entries: list[str]) -> str:
	path.write_text("".join(line + "\n" for line in entries))
	return str(path)


def requests(count: int, at: datetime, site: str = SITE, duration_s: float = 0.5) -> list[str]:
	return [monitor_entry("request", at, duration_s, site=site) for _ in range(count)]


def lrange_spans(client) -> list[tuple[int, int]]:
	"""(start, stop) of every LRANGE the server ran since its SLOWLOG was reset."""
	spans = []
	for entry in client.slowlog_get(1_000_000):
		words = entry["command"].split(b" ")
		if words[0].upper() == b"LRANGE":
			spans.append((int(words[2]), int(words[3])))
	return spans


def watch_commands(client) -> None:
	client.config_set("slowlog-max-len", 1_000_000)
	client.config_set("slowlog-log-slower-than", 0)
	client.slowlog_reset()


def test_list_is_read_in_bounded_pages_and_left_for_frappes_flush(private_redis):
	"""2,500 entries and a malformed one are read in pages of at most PAGE_SIZE, never LRANGE 0 -1; none is consumed."""
	push(private_redis, [*requests(2500, NOW), "not json"])
	watch_commands(private_redis)
	window = read_window(private_redis, PREFIX, None, SITE, WINDOW, now=NOW)
	spans, commands = lrange_spans(private_redis), {name for name, _ in logged_commands(private_redis)}
	assert window.kind("request").samples == 2500 and len(window) == 2500
	assert spans and all(stop - start + 1 <= PAGE_SIZE and start < 0 for start, stop in spans)
	assert (0, -1) not in spans and commands <= {b"LRANGE", b"SLOWLOG", b"CONFIG"}
	assert private_redis.llen(PREFIX + MONITOR_KEY) == 2501


def test_list_reading_stops_at_the_windows_start(private_redis):
	"""Behind 20 recent entries lie 50,000 from two hours ago: only the first page or two are read."""
	push(private_redis, requests(50_000, OLD) + requests(20, NOW))
	watch_commands(private_redis)
	window = read_window(private_redis, PREFIX, None, SITE, WINDOW, now=NOW)
	assert window.kind("request").samples == 20
	assert len(lrange_spans(private_redis)) <= 2


def test_each_site_measures_only_its_own_entries_in_the_shared_log(tmp_path, redis_client):
	"""Two sites' entries interleave in monitor.json.log: each site's window holds only its own, in the window."""
	lines = []
	for minute in range(30, 0, -1):
		at = NOW - timedelta(minutes=minute)
		lines += requests(2, at, SITE, 0.2) + requests(3, at, OTHER_SITE, 2.0)
	lines.append(monitor_entry("job", NOW, 7.0, "app.tasks.nightly", site=OTHER_SITE))
	log = write_log(tmp_path / "monitor.json.log", lines)
	ours = read_window(redis_client, PREFIX, log, SITE, WINDOW, now=NOW)
	theirs = read_window(redis_client, "_other_db|", log, OTHER_SITE, WINDOW, now=NOW)
	# 15 whole minutes back from NOW (12:00:30) reach the entry at 11:45:30.
	assert ours.kind("request").samples == 2 * 15 and set(ours.kind("request").durations) == {0.2}
	assert ours.kind("job") is None
	assert theirs.kind("request").samples == 3 * 15 and set(theirs.kind("request").durations) == {2.0}
	assert list(theirs.kind("job").durations) == [7.0]


def test_entries_in_both_the_list_and_the_log_count_once(tmp_path, redis_client):
	"""The entry Frappe's flush leaves in the list, and writes to the log twice, is counted once."""
	kept = monitor_entry("request", NOW - timedelta(seconds=40), 0.3, site=SITE, entry_id="kept-by-flush")
	flushed = requests(5, NOW - timedelta(minutes=2), SITE)
	log = write_log(tmp_path / "monitor.json.log", [*flushed, kept, kept])
	push(redis_client, [kept, *requests(4, NOW, SITE)])
	window = read_window(redis_client, PREFIX, log, SITE, WINDOW, now=NOW)
	assert window.kind("request").samples == 5 + 1 + 4


def test_log_is_read_from_its_end_within_a_byte_bound(tmp_path, monkeypatch):
	"""With a log larger than LOG_MAX_BYTES only its tail is read, the window says so, and a torn last line is skipped."""
	monkeypatch.setattr(monitor, "LOG_MAX_BYTES", 64 * 1024)
	monkeypatch.setattr(monitor, "LOG_CHUNK_BYTES", 4096)
	lines = requests(2000, NOW, SITE)
	path = tmp_path / "monitor.json.log"
	write_log(path, lines)
	with path.open("a") as log:
		log.write(lines[0][:40])  # a flush still writing
	window = read_window(None, PREFIX, str(path), SITE, WINDOW, now=NOW)
	line_bytes = len(lines[0]) + 1
	assert window.truncated
	assert (64 * 1024) // line_bytes - 2 <= window.kind("request").samples <= (64 * 1024) // line_bytes
	small = write_log(tmp_path / "small.log", [*requests(3, OLD), *requests(3, NOW)])
	complete = read_window(None, PREFIX, small, SITE, WINDOW, now=NOW)
	assert not complete.truncated and complete.kind("request").samples == 3


def test_log_reading_stops_at_the_windows_start_even_among_other_sites(tmp_path, monkeypatch):
	"""Old lines of other sites end the backwards read: lines before them are never looked at."""
	lines = requests(1, NOW - timedelta(hours=3), SITE) + requests(5000, OLD, OTHER_SITE) + requests(2, NOW)
	log = write_log(tmp_path / "monitor.json.log", lines)
	parsed = []
	original = monitor.parse_entry
	monkeypatch.setattr(monitor, "parse_entry", lambda raw: parsed.append(raw) or original(raw))
	window = read_window(None, PREFIX, log, SITE, WINDOW, now=NOW)
	assert window.kind("request").samples == 2 and len(parsed) <= 4
	assert not window.truncated


def test_missing_log_and_unreachable_list_parts_are_empty(tmp_path):
	"""No log file and no Redis client give an empty window, not an error."""
	window = read_window(None, PREFIX, str(tmp_path / "missing.log"), SITE, WINDOW, now=NOW)
	assert len(window) == 0 and window.kind("request") is None
