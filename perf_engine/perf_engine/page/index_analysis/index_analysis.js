// Index Analysis: largest tables, findings with their evidence, Apply and Dismiss, live status.
const PRIORITY_COLOURS = { HIGH: "red", MEDIUM: "orange", LOW: "gray" };
const STATUS_COLOURS = { Open: "blue", Queued: "orange", Applying: "orange", Applied: "green", Failed: "red" };

frappe.pages["index-analysis"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({ parent: wrapper, title: __("Index Analysis"), single_column: true });
	const view = new IndexAnalysisView(page);
	page.set_primary_action(__("Analyse Now"), () => view.analyse(), "search");
	page.set_secondary_action(__("Refresh"), () => view.refresh());
	frappe.realtime.on("perf_engine_index_progress", () => view.refresh());
	view.refresh();
};

class IndexAnalysisView {
	constructor(page) {
		this.$notes = $("<div></div>").appendTo(page.main);
		$(`<h5 class="mt-3">${__("Findings")}</h5>`).appendTo(page.main);
		this.$findings = $("<div></div>").appendTo(page.main);
		$(`<h5 class="mt-4">${__("Largest Tables")}</h5>`).appendTo(page.main);
		this.$tables = $("<div></div>").appendTo(page.main);
	}

	refresh() {
		frappe.call("perf_engine.api.get_index_overview").then(({ message }) => this.render(message));
	}

	render({ largest_tables, findings }) {
		const esc = frappe.utils.escape_html;
		this.$tables.html(
			`<table class="table table-bordered table-sm"><thead><tr><th>${__("Table")}</th><th>${__("Rows (estimate)")}</th><th>${__("Data")}</th><th>${__("Indexes")}</th></tr></thead><tbody>` +
				largest_tables
					.map((t) => `<tr><td>${esc(t.table)}</td><td>${format_number(t.rows, null, 0)}</td><td>${(t.data_bytes / 1048576).toFixed(1)} MB</td><td>${(t.index_bytes / 1048576).toFixed(1)} MB</td></tr>`)
					.join("") +
				"</tbody></table>"
		);
		if (!findings.length) {
			this.$findings.html(`<p class="text-muted">${__("No findings yet. Run an analysis.")}</p>`);
			return;
		}
		const rows = findings.map((f) => {
			const open = ["Open", "Failed"].includes(f.status);
			// A finding Frappe's meta owns, or one perf_engine only reports, has no one-click action.
			const apply = open && !f.blocked_reason
				? `<button class="btn btn-xs btn-primary" data-apply="${esc(f.name)}" data-kind="${esc(f.kind)}">${f.kind === "drop" ? __("Drop") : __("Apply")}</button>`
				: "";
			const dismiss = open ? `<button class="btn btn-xs btn-default" data-dismiss="${esc(f.name)}">${__("Dismiss")}</button>` : "";
			const managed = f.managed_by ? `<div><span class="indicator-pill gray">${__("Managed by {0}", [esc(f.managed_by)])}</span></div>` : "";
			const blocked = f.blocked_reason ? `<div class="text-muted">${esc(f.blocked_reason)}</div>` : "";
			return `<tr>
				<td><a href="/app/index-recommendation/${encodeURIComponent(f.name)}">${esc(f.table_name)}</a></td>
				<td>${esc(f.columns)}</td><td>${esc(f.kind)}</td>
				<td><span class="indicator-pill ${PRIORITY_COLOURS[f.priority]}">${esc(f.priority)}</span></td>
				<td><span class="indicator-pill ${STATUS_COLOURS[f.status] || "gray"}">${__(f.status)}</span></td>
				<td class="small">${esc(f.reason || "")}${managed}${blocked}${f.error ? `<div class="text-danger">${esc(f.error)}</div>` : ""}</td>
				<td>${apply} ${dismiss}</td></tr>`;
		});
		this.$findings.html(
			`<table class="table table-bordered table-sm"><thead><tr><th>${__("Table")}</th><th>${__("Columns")}</th><th>${__("Kind")}</th><th>${__("Priority")}</th><th>${__("Status")}</th><th>${__("Evidence")}</th><th></th></tr></thead><tbody>${rows.join("")}</tbody></table>`
		);
		this.$findings.find("[data-apply]").on("click", (e) => this.apply($(e.currentTarget)));
		this.$findings.find("[data-dismiss]").on("click", (e) =>
			frappe.call("perf_engine.api.dismiss_index_recommendation", { name: $(e.currentTarget).data("dismiss") }).then(() => this.refresh())
		);
	}

	apply($button) {
		const name = $button.data("apply");
		const verb = $button.data("kind") === "drop" ? __("Drop this index online?") : __("Build this index online?");
		frappe.confirm(verb, () =>
			frappe.call("perf_engine.api.apply_index_recommendation", { name, confirm: 1 }).then(() => this.refresh())
		);
	}

	analyse() {
		frappe.call({ method: "perf_engine.api.analyze_indexes", freeze: true, freeze_message: __("Analysing indexes...") }).then(({ message }) => {
			this.$notes.html(message.notes.map((n) => `<div class="alert alert-secondary small mb-1">${frappe.utils.escape_html(n)}</div>`).join(""));
			frappe.show_alert(__("{0} new, {1} updated findings", [message.created, message.updated]));
			this.refresh();
		});
	}
}
