// SLA Percentiles: p50/p95/p99 and counts per kind of work and top endpoint, for the monitor
// window, the last day and the last 7 days (perf_engine.api.get_sla).
{% include "perf_engine/public/js/desk.js" %}

frappe.pages["sla-percentiles"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({ parent: wrapper, title: __("SLA Percentiles"), single_column: true });
	const view = new frappe.perf_engine.SlaPercentiles(page);
	page.set_secondary_action(__("Refresh"), () => view.refresh());
	view.refresh();
};

frappe.perf_engine.SlaPercentiles = class SlaPercentiles {
	static KIND_LABELS = { list_view: "List views", form: "Forms", report: "Reports", request: "Other requests", job: "Jobs" };

	constructor(page) {
		this.$body = $('<div class="sla-percentiles"></div>').appendTo(page.main);
	}

	refresh() {
		frappe.call("perf_engine.api.get_sla").then(({ message }) => this.render(message));
	}

	title(period, report) {
		if (period === "window") return __("Last {0} minutes (exact)", [report.window_minutes]);
		const label = period === "day" ? __("Last day") : __("Last 7 days");
		return __("{0} (to a bucket, from {1} snapshots)", [label, report[period].snapshots]);
	}

	ms(seconds) {
		return { html: frappe.perf_engine.float(seconds * 1000, 1) };
	}

	cells(row) {
		return [{ html: frappe.perf_engine.int(row.count) }, this.ms(row.p50_s), this.ms(row.p95_s), this.ms(row.p99_s)];
	}

	render(report) {
		const { esc, table, muted } = frappe.perf_engine;
		const headers = ["", "Count", "p50 (ms)", "p95 (ms)", "p99 (ms)"];
		const sections = ["window", "day", "week"].map((period) => {
			const figures = report[period];
			const kinds = Object.entries(figures.kinds).map(([kind, row]) => [__(SlaPercentiles.KIND_LABELS[kind] || kind), ...this.cells(row)]);
			const endpoints = figures.endpoints.map((row) => [
				{ html: `<code>${esc(row.endpoint)}</code> <span class="text-muted">${esc(__(SlaPercentiles.KIND_LABELS[row.kind] || row.kind))}</span>` },
				...this.cells(row),
			]);
			const body = kinds.length
				? table(["Kind of work", ...headers.slice(1)], kinds) + `<h6 class="mt-3">${esc(__("Top endpoints by total time"))}</h6>` + table(["Endpoint", ...headers.slice(1)], endpoints)
				: muted(__("No traffic recorded for this period."));
			return `<div class="frappe-card p-3 mb-4" data-period="${esc(period)}"><h5>${esc(this.title(period, report))}</h5>${body}</div>`;
		});
		this.$body.html(sections.join("") + muted(report.method));
	}
};
