// Copyright (c) 2026, perf_engine developers and contributors
// For license information, please see license.txt

frappe.ui.form.on("Deadlock", {
	refresh(frm) {
		frm.add_custom_button(__("Running Queries"), () => frappe.set_route("running-queries"));
	},
});
