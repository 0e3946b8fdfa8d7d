app_name = "perf_engine"
app_title = "Perf Engine"
app_publisher = "perf_engine developers"
app_description = (
	"Performance engineering for Frappe benches: capacity, thresholds, indexes, queues and Redis"
)
app_email = "developers@perf-engine.invalid"
app_license = "mit"

# Installation
# ------------

before_install = "perf_engine.install.before_install"
after_install = "perf_engine.install.after_install"
before_migrate = "perf_engine.install.before_migrate"
before_uninstall = "perf_engine.install.before_uninstall"
after_migrate = "perf_engine.install.after_migrate"

# Cache
# -----
# frappe.clear_cache() deletes every key of the site except these: generation counters must
# only ever grow, so a restarted counter can never meet values cached under its old numbers,
# and the link map's version must never repeat one a process still holds.

persistent_cache_keys = ["perf_engine:gen:", "perf_engine:link_map:version"]

# Document Events
# ---------------
# Every change to any document is recorded and, once its transaction commits, invalidates
# perf_engine's cache for it; a committed change to a DocType, Custom Field or Property
# Setter makes every process rebuild its map of linking DocTypes once. (Names starting with
# "_" are not read as hooks.)

_CACHE_EVENTS = ("on_update", "on_submit", "on_cancel", "on_update_after_submit", "on_trash", "after_rename")
_SCHEMA_EVENTS = {
	"on_update": "perf_engine.services.cache.forget_link_map",
	"on_trash": "perf_engine.services.cache.forget_link_map",
}
doc_events = {
	"*": {event: "perf_engine.services.cache.invalidate" for event in _CACHE_EVENTS},
	"DocType": _SCHEMA_EVENTS,
	"Custom Field": _SCHEMA_EVENTS,
	"Property Setter": _SCHEMA_EVENTS,
}

# Event Bus
# ---------
# Apps declare subscribers as `perf_engine_events = {"event": ["app.module.handler"]}`;
# perf_engine itself subscribes to nothing.

# Background Jobs
# ---------------
# Each job's work horse records where its worker runs (hostname, kernel boot, PID namespace,
# pids), so the stall check, on whichever host it runs, never takes a job that may still be
# running on another host for an orphan: one Redis round trip per job.

before_job = ["perf_engine.services.jobs.remember_worker_host"]

# Scheduled Tasks
# ---------------

scheduler_events = {
	# Frappe's continuous tick (every `scheduler_interval`, 4 minutes by default; "All" jobs write no
	# Scheduled Job Log row): one job a site runs what is due. See perf_engine.tasks.tick.
	"all": ["perf_engine.tasks.tick.run_due"],
	"hourly_long": ["perf_engine.tasks.cache.warm_caches"],
	"daily": ["perf_engine.tasks.history.prune_history"],
	"weekly_long": ["perf_engine.tasks.indexes.weekly_analysis"],
}
