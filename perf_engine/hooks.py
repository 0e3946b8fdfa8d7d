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

after_install = "perf_engine.install.after_install"
after_migrate = "perf_engine.install.after_migrate"

# Scheduled Tasks
# ---------------

scheduler_events = {
	"cron": {
		# Threshold check over the last 15 minutes of measurements.
		"*/15 * * * *": ["perf_engine.tasks.thresholds.check_thresholds"],
		# Stalled-job check; runs every `stall_check_minutes` (Perf Engine Settings), default 5.
		"* * * * *": ["perf_engine.tasks.jobs.check_stalls_when_due"],
	},
}
