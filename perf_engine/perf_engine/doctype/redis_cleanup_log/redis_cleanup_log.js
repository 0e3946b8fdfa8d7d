// Copyright (c) 2026, perf_engine developers and contributors
// For license information, please see license.txt

frappe.ui.form.on("Redis Cleanup Log", {
	refresh(frm) {
		frm.add_custom_button(__("Redis Memory"), () => frappe.set_route("redis-memory"));
	},
});
