// Copyright (c) 2026, perf_engine developers and contributors
// For license information, please see license.txt

frappe.ui.form.on("Performance Threshold", {
	refresh(frm) {
		if (frm.is_new()) return;
		frm.add_custom_button(__("Violations"), () =>
			frappe.set_route("List", "Threshold Violation", { operation_type: frm.doc.name })
		);
	},
});
