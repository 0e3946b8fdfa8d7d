"""perf_engine's memory of worker hosts stays within its bounds, and its readers end on any input."""

import json
import os
import time
from dataclasses import asdict, replace

from hypothesis import given, settings
from hypothesis import strategies as st

from perf_engine.core.jobs.hosts import Host, parse_stat, this_host
from perf_engine.core.jobs.keys import WORKER_HOSTS, WORKER_HOSTS_FORGET_AT
from perf_engine.core.jobs.worker_hosts import (
	MAX_REMEMBER_S,
	MAX_REMEMBERED_WORKERS,
	REMEMBER_PAST_TIMEOUT_S,
	WorkerHost,
	parse_record,
	recall,
	remember,
	remember_for,
	store,
)

NOW = 1_800_000_000.0


def record(name: str, forget_at: float) -> WorkerHost:
	return WorkerHost(
		worker=name,
		host=Host("app-1", "boot", "pid:[4026531836]"),
		uid=1000,
		worker_pid=7,
		worker_started=100,
		horse_pid=8,
		horse_started=200,
		job_id=f"a.local::{name}",
		forget_at=forget_at,
	)


def test_a_job_is_remembered_until_a_day_past_its_timeout_and_a_week_at_most():
	"""rq's default timeout when none is set, a day past the timeout, and a week for jobs without one."""
	assert remember_for(None) == 180 + REMEMBER_PAST_TIMEOUT_S
	assert remember_for(1500) == 1500 + REMEMBER_PAST_TIMEOUT_S
	assert remember_for(-1) == MAX_REMEMBER_S
	assert remember_for(30 * 24 * 3600) == MAX_REMEMBER_S


def test_remember_records_this_process_and_recall_reads_it_back(redis_client):
	"""A record holds this host, the parent as the worker and this process as the horse, and the keys expire."""
	written = remember(redis_client, "w1", "a.local::job", 300, now=time.time())
	assert recall(redis_client, ["w1", "w2", ""]) == {"w1": written}
	assert (written.host, written.horse_pid, written.worker_pid) == (this_host(), os.getpid(), os.getppid())
	assert written.horse_started is not None and written.uid == os.geteuid()
	for key in (WORKER_HOSTS, WORKER_HOSTS_FORGET_AT):
		assert 0 < redis_client.ttl(key) <= MAX_REMEMBER_S


def test_forgotten_records_are_neither_read_nor_kept(redis_client):
	"""A record past its forget time is not recalled, and the next write removes it."""
	store(redis_client, record("old", NOW - 1), NOW - 10)
	assert recall(redis_client, ["old"], NOW) == {}
	store(redis_client, record("new", NOW + 60), NOW)
	assert redis_client.hkeys(WORKER_HOSTS) == [b"new"]
	assert redis_client.zrange(WORKER_HOSTS_FORGET_AT, 0, -1) == [b"new"]


def test_the_memory_never_holds_more_than_its_cap(redis_client):
	"""Past MAX_REMEMBERED_WORKERS records, the soonest to be forgotten go first; the hash and index agree."""
	extra = 5
	with redis_client.pipeline(transaction=False) as pipe:
		for i in range(MAX_REMEMBERED_WORKERS + extra):
			store(redis_client, record(f"w{i}", NOW + 1000 + i), NOW, pipeline=pipe)
		pipe.execute()
	assert (
		redis_client.hlen(WORKER_HOSTS)
		== redis_client.zcard(WORKER_HOSTS_FORGET_AT)
		== MAX_REMEMBERED_WORKERS
	)
	kept = recall(redis_client, [f"w{i}" for i in range(extra + 1)], NOW)
	assert set(kept) == {f"w{extra}"}, "the first five, soonest to be forgotten, went"


def test_a_record_under_another_workers_name_is_not_that_workers(redis_client):
	"""A record is only read back for the worker it names."""
	stored = record("w1", NOW + 60)
	redis_client.hset(WORKER_HOSTS, "w2", json.dumps(asdict(stored)))
	assert recall(redis_client, ["w1", "w2"], NOW) == {}


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=600), st.text(max_size=600).map(str.encode)))
def test_the_record_reader_ends_on_any_bytes(raw):
	"""Any bytes read as a record are a well-formed record or None, never an exception."""
	parsed = parse_record(raw)
	assert parsed is None or isinstance(parsed, WorkerHost)


JSON_VALUES = st.recursive(
	st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
	lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
	max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from([*asdict(record("w", NOW))]), value=JSON_VALUES)
def test_a_record_with_any_field_replaced_is_read_or_refused(field, value):
	"""A record whose one field holds any JSON value is either still well formed or refused, never raised on."""
	fields = {**asdict(record("w", NOW)), field: value}
	parsed = parse_record(json.dumps(fields))
	if parsed is not None:
		assert isinstance(parsed.worker_pid, int) and parsed.worker_pid > 0 and isinstance(parsed.job_id, str)


def test_a_record_round_trips_and_a_broken_one_is_refused():
	"""What store writes is what the reader returns; a negative pid, a NaN forget time, a huge record are not."""
	good = record("w", NOW)
	assert parse_record(json.dumps(asdict(good))) == good
	for broken in (
		replace(good, worker_pid=-3),
		replace(good, horse_pid=0),
		replace(good, forget_at=float("nan")),
		replace(good, job_id=None),
	):
		assert parse_record(json.dumps(asdict(broken))) is None
	assert parse_record(json.dumps({**asdict(good), "job_id": "x" * 5000})) is None


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=400))
def test_the_proc_stat_reader_ends_on_any_line(line):
	"""Any bytes read as /proc/PID/stat give a state and start time or None for each, never an exception."""
	state, start = parse_stat(line)
	assert state is None or isinstance(state, str)
	assert start is None or (isinstance(start, int) and start >= 0)


def test_the_proc_stat_reader_reads_a_real_line_and_a_name_with_parentheses():
	"""The start time is the 22nd field, counted after the last ')', so a command named 'a) b' cannot shift it."""
	assert parse_stat(open("/proc/self/stat", "rb").read())[0] == "R"
	fields = " ".join(["S", *map(str, range(1, 19)), "98765", "0"])
	assert parse_stat(f"42 (a) b) {fields}".encode()) == ("S", 98765)
