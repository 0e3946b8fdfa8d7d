"""A test database shaped like a Frappe site's: the tables perf_engine's site reads use, reduced to the
columns they read."""

from datetime import datetime

# perf_engine's history tables and the Frappe tables its health and readiness read.
SITE_TABLES = (
	"CREATE TABLE `tabStalled Job` (name VARCHAR(140) PRIMARY KEY, status VARCHAR(20), action VARCHAR(20))",
	"CREATE TABLE `tabThreshold Violation` (name VARCHAR(140) PRIMARY KEY, severity VARCHAR(20), measured_at DATETIME(6))",
	"CREATE TABLE `tabIndex Recommendation` (name VARCHAR(140) PRIMARY KEY, status VARCHAR(20), priority VARCHAR(20), "
	"table_name VARCHAR(140), columns VARCHAR(140), total_time_s DOUBLE)",
	"CREATE TABLE `tabCapacity Model` (name VARCHAR(140) PRIMARY KEY, computed_at DATETIME(6), result_json LONGTEXT, "
	"concurrent_users DOUBLE, peak_multiplier DOUBLE)",
	"CREATE TABLE `tabPerformance Threshold` (name VARCHAR(140) PRIMARY KEY, operation_type VARCHAR(140), "
	"value DOUBLE, unit VARCHAR(10), enabled INT DEFAULT 1)",
	"CREATE TABLE `tabDocType` (name VARCHAR(140) PRIMARY KEY)",
	"CREATE TABLE `tabSingles` (doctype VARCHAR(140), field VARCHAR(140), value TEXT)",
	"CREATE TABLE `tabScheduled Job Type` (name VARCHAR(140) PRIMARY KEY, method VARCHAR(140), frequency VARCHAR(20), "
	"cron_format VARCHAR(140), stopped INT DEFAULT 0, last_execution DATETIME(6), creation DATETIME(6))",
	"CREATE TABLE `tabScheduled Job Log` (name VARCHAR(140) PRIMARY KEY, scheduled_job_type VARCHAR(140), "
	"status VARCHAR(20), modified DATETIME(6), KEY modified (modified))",
)
NOW = datetime(2026, 11, 23, 12, 0)


def insert(db, table: str, **values) -> None:
	columns = ", ".join(values)
	with db.cursor() as cur:
		cur.execute(
			f"INSERT INTO `{table}` ({columns}) VALUES ({', '.join(['%s'] * len(values))})",
			tuple(values.values()),
		)
