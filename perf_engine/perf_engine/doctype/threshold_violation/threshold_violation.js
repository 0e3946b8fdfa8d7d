// Copyright (c) 2026, perf_engine developers and contributors
// For license information, please see license.txt

frappe.ui.form.on("Threshold Violation", {
	refresh(frm) {
		frm.set_intro(__("Recorded by the scheduled threshold check; adjust limits in Performance Threshold."));
	},
});
