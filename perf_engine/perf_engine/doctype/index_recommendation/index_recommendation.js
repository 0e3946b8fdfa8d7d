// Copyright (c) 2026, perf_engine developers and contributors
// For license information, please see license.txt

{% include "perf_engine/public/js/desk.js" %}

frappe.ui.form.on("Index Recommendation", {
	setup(frm) {
		frappe.realtime.on("perf_engine_index_progress", (data) => {
			if (data.name === frm.doc.name) frm.reload_doc();
		});
	},
	refresh(frm) {
		const form = frappe.perf_engine.IndexRecommendation;
		// A finding Frappe's meta owns, or one perf_engine only reports, has no one-click action.
		const offered = !frm.doc.blocked_reason;
		if (frm.doc.blocked_reason) frm.dashboard.set_headline(frappe.perf_engine.esc(frm.doc.blocked_reason));
		else if (frm.doc.lock_note) frm.dashboard.set_headline(frappe.perf_engine.esc(frm.doc.lock_note), "orange");
		if (["Open", "Failed"].includes(frm.doc.status)) {
			const label = frm.doc.kind === "drop" ? __("Drop Index") : __("Apply");
			if (offered) frm.add_custom_button(label, () => form.apply(frm)).addClass("btn-primary");
			frm.add_custom_button(__("Dismiss"), () =>
				frappe.call("perf_engine.api.dismiss_index_recommendation", { name: frm.doc.name }).then(() => frm.reload_doc())
			);
		}
		if (offered && frm.doc.kind === "drop" && frm.doc.status === "Open") {
			frm.add_custom_button(__("Ignore on Trial"), () => form.trial(frm, 1), __("Trial"));
			frm.add_custom_button(__("Restore"), () => form.trial(frm, 0), __("Trial"));
		}
	},
});

frappe.perf_engine.IndexRecommendation = class IndexRecommendation {
	static apply(frm) {
		const esc = frappe.perf_engine.esc;
		const run = () =>
			frappe
				.call("perf_engine.api.apply_index_recommendation", { name: frm.doc.name, confirm: 1 })
				.then(() => frm.reload_doc());
		const names = [esc(frm.doc.index_name), esc(frm.doc.table_name)];
		const message =
			frm.doc.kind === "drop"
				? __("Drop index {0} on {1}? Try 'Ignore on Trial' first to see the effect.", names)
				: frm.doc.lock_note
					? __("Build index {0} on {1} now?", names)
					: __("Build index {0} on {1} online now?", names);
		// Aria and MyISAM cannot change an index online: say how it locks before asking.
		frappe.confirm(frm.doc.lock_note ? `${message}<br><br>${esc(frm.doc.lock_note)}` : message, run);
	}

	static trial(frm, ignored) {
		frappe
			.call("perf_engine.api.trial_ignore_index", { name: frm.doc.name, ignored })
			.then(({ message }) => frappe.show_alert({ message: frappe.perf_engine.esc(message), indicator: "blue" }));
	}
};
