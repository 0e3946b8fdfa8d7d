// Index Analysis: largest tables, findings with their evidence, Apply and Dismiss, live status.
{% include "perf_engine/public/js/desk.js" %}

frappe.pages["index-analysis"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({ parent: wrapper, title: __("Index Analysis"), single_column: true });
	const view = new frappe.perf_engine.IndexAnalysis(page);
	page.set_primary_action(__("Analyse Now"), () => view.analyse(), "search");
	page.set_secondary_action(__("Refresh"), () => view.refresh());
	frappe.realtime.on("perf_engine_index_progress", () => view.refresh());
	view.refresh();
};

frappe.perf_engine.IndexAnalysis = class IndexAnalysis {
	static PRIORITY_COLOURS = { HIGH: "red", MEDIUM: "orange", LOW: "gray" };
	static STATUS_COLOURS = { Open: "blue", Queued: "orange", Applying: "orange", Applied: "green", Failed: "red" };

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
		const pe = frappe.perf_engine;
		this.$tables.html(
			pe.table(
				["Table", "Rows (estimate)", "Data", "Indexes"],
				largest_tables.map((t) => [t.table, { html: pe.int(t.rows) }, { html: pe.bytes(t.data_bytes) }, { html: pe.bytes(t.index_bytes) }])
			)
		);
		if (!findings.length) {
			this.$findings.html(pe.muted(__("No findings yet. Run an analysis.")));
			return;
		}
		this.$findings.html(
			pe.table(
				["Table", "Columns", "Kind", "Priority", "Status", "Evidence", ""],
				findings.map((f) => this.row(f))
			)
		);
		this.$findings.find("[data-apply]").on("click", (e) => this.apply($(e.currentTarget)));
		this.$findings.find("[data-dismiss]").on("click", (e) =>
			frappe.call("perf_engine.api.dismiss_index_recommendation", { name: String($(e.currentTarget).data("dismiss")) }).then(() => this.refresh())
		);
	}

	row(f) {
		const pe = frappe.perf_engine;
		const open = ["Open", "Failed"].includes(f.status);
		// A finding Frappe's meta owns, or one perf_engine only reports, has no one-click action.
		const apply = open && !f.blocked_reason ? pe.button(f.kind === "drop" ? __("Drop") : __("Apply"), { apply: f.name, kind: f.kind, locks: f.lock_note ? 1 : 0 }, "primary") : "";
		const dismiss = open ? pe.button(__("Dismiss"), { dismiss: f.name }) : "";
		const evidence = [
			pe.esc(f.reason),
			f.managed_by ? `<div>${pe.pill("gray", __("Managed by {0}", [f.managed_by])).html}</div>` : "",
			f.source === "ignored" ? `<div>${pe.pill("orange", __("IGNORED")).html}</div>` : "",
			f.blocked_reason ? `<div class="text-muted">${pe.esc(f.blocked_reason)}</div>` : "",
			f.lock_note ? `<div class="text-warning">${pe.esc(f.lock_note)}</div>` : "",
			f.error ? `<div class="text-danger">${pe.esc(f.error)}</div>` : "",
		].join("");
		return [
			pe.link(["index-recommendation", f.name], f.table_name),
			f.columns,
			f.kind,
			pe.pill(IndexAnalysis.PRIORITY_COLOURS[f.priority] || "gray", f.priority),
			pe.pill(IndexAnalysis.STATUS_COLOURS[f.status] || "gray", __(f.status)),
			{ html: `<span class="small">${evidence}</span>` },
			pe.join(apply, dismiss),
		];
	}

	apply($button) {
		const name = String($button.data("apply"));
		const drop = $button.data("kind") === "drop";
		// Aria and MyISAM cannot change an index online: the row's Table Lock note says how it locks.
		const questions = $button.data("locks")
			? [__("Build this index with LOCK=SHARED (writes to the table wait)?"), __("Drop this index with LOCK=SHARED (writes to the table wait)?")]
			: [__("Build this index online?"), __("Drop this index online?")];
		const verb = questions[drop ? 1 : 0];
		frappe.confirm(verb, () =>
			frappe.call("perf_engine.api.apply_index_recommendation", { name, confirm: 1 }).then(() => this.refresh())
		);
	}

	analyse() {
		frappe.call({ method: "perf_engine.api.analyze_indexes", freeze: true, freeze_message: __("Analysing indexes...") }).then(({ message }) => {
			this.$notes.html(message.notes.map((n) => `<div class="alert alert-secondary small mb-1">${frappe.perf_engine.esc(n)}</div>`).join(""));
			frappe.show_alert(__("{0} new, {1} updated findings", [message.created, message.updated]));
			this.refresh();
		});
	}
};
