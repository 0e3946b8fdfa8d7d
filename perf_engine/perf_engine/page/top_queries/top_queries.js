// Top Queries: the site's statements of most total time per fingerprint over a window, with
// p95, rows examined per row sent, the index the analysis would add and EXPLAIN on demand.
{% include "perf_engine/public/js/desk.js" %}

frappe.pages["top-queries"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({ parent: wrapper, title: __("Top Queries"), single_column: true });
	const view = (wrapper.top_queries = new frappe.perf_engine.TopQueries(page));
	page.set_secondary_action(__("Refresh"), () => view.refresh());
	page.add_inner_button(__("Running Queries"), () => frappe.set_route("running-queries"));
	view.refresh();
};

frappe.perf_engine.TopQueries = class TopQueries {
	static WINDOWS = ["hour", "day", "week"];
	static READING_MS = 500;

	constructor(page) {
		this.page = page;
		this.since = page.add_field({
			fieldname: "since",
			label: __("Since"),
			fieldtype: "Select",
			options: TopQueries.WINDOWS.map((w) => ({ value: w, label: __("Last {0}", [__(w)]) })),
			default: "hour",
			change: () => this.refresh(),
		});
		this.$summary = $('<div class="top-summary mb-2"></div>').appendTo(page.main);
		this.$queries = $('<div class="top-queries"></div>').appendTo(page.main);
		this.$notes = $('<div class="top-notes mt-3"></div>').appendTo(page.main);
		this.$plan = $('<div class="top-plan mt-3"></div>').appendTo(page.main);
	}

	refresh() {
		clearTimeout(this.reading);
		frappe.call({ method: "perf_engine.api.top_queries", type: "GET", args: { since: this.since.get_value() || "hour" } }).then(({ message }) => {
			this.render(message);
			// A slow log is read newest first, a little per call: ask again until all of it is in.
			if (!message.coverage.complete && frappe.get_route()[0] === "top-queries") {
				this.reading = setTimeout(() => this.refresh(), TopQueries.READING_MS);
			}
		});
	}

	render(found) {
		const pe = frappe.perf_engine;
		this.queries = found.queries;
		const reading = found.coverage.complete
			? ""
			: ` ${pe.pill("blue", __("reading the slow log: {0}%", [Math.round(found.coverage.read_fraction * 100)])).html}`;
		this.$summary.html(
			`<span class="text-muted small">${pe.esc(
				__("From {0}: {1} execution(s) of {2} statement(s)", [found.source || __("no source"), found.executions, found.fingerprints])
			)}</span>${reading}`
		);
		this.$queries.html(
			found.queries.length
				? pe.table(
						["Statement", "Count", "Total (s)", "Avg (s)", "p95 (s)", "Max (s)", "Rows Examined / Sent", "Lock (s)", "Tables", "Index to Add", ""],
						found.queries.map((q, i) => this.row(q, i))
				  )
				: pe.muted(__("No statement of this site was logged in the window."))
		);
		this.$queries.find("[data-explain]").on("click", (e) => this.explain(this.queries[Number($(e.currentTarget).data("explain"))]));
		this.$notes.html(found.notes.map((n) => `<div class="alert alert-secondary small mb-1">${pe.esc(n)}</div>`).join(""));
	}

	row(q, i) {
		const pe = frappe.perf_engine;
		const ratio = q.rows_examined_per_sent == null ? "" : ` (${pe.esc(q.rows_examined_per_sent)}x)`;
		const rows = `${pe.int(q.rows_examined)} / ${pe.int(q.rows_sent)}${ratio}`;
		return [
			{ html: `<code class="small" title="${pe.esc(q.example)}">${pe.esc(q.fingerprint)}</code>` },
			{ html: pe.int(q.count) },
			{ html: pe.float(q.total_time_s, 3) },
			{ html: pe.float(q.avg_time_s, 4) },
			{ html: q.p95_time_s == null ? "—" : pe.float(q.p95_time_s, 4) },
			{ html: pe.float(q.max_time_s, 4) },
			q.rows_flag ? pe.join(pe.pill("orange", __("many rows")), { html: rows }) : { html: rows },
			{ html: pe.float(q.lock_time_s, 4) },
			q.tables.join(", "),
			this.index(q.suggested_index),
			/^\s*select/i.test(q.example) && !q.example.includes("?") ? pe.button(__("EXPLAIN"), { explain: i }) : "",
		];
	}

	index(suggestion) {
		const pe = frappe.perf_engine;
		if (!suggestion) return "";
		const what = `${suggestion.table} (${suggestion.columns.join(", ")})`;
		return suggestion.recommendation ? pe.link(["index-recommendation", suggestion.recommendation], what) : what;
	}

	explain(q) {
		const pe = frappe.perf_engine;
		frappe.call("perf_engine.api.explain_query", { statement: q.example }).then(({ message }) => {
			const flags = [message.full_scan ? __("full scan") : "", message.filesort ? __("filesort") : ""].filter(Boolean).join(", ");
			this.$plan.html(
				`<h5>${pe.esc(__("EXPLAIN (not run)"))}</h5><pre class="small">${pe.esc(q.example)}</pre>` +
					`<p class="small">${pe.esc(__("Rows the optimizer expects to examine: {0}", [message.rows_examined_estimate]))} ${pe.esc(flags)}</p>` +
					pe.table(
						["id", "Table", "Access", "Index", "Rows", "Extra"],
						message.rows.map((r) => [r.id, r.table, r.type, r.key, r.rows, r.Extra])
					)
			);
		});
	}
};
