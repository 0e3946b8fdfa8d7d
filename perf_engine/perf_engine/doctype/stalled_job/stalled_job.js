// Copyright (c) 2026, perf_engine developers and contributors
// For license information, please see license.txt

frappe.ui.form.on("Stalled Job", {
	refresh(frm) {
		if (!frm.doc.job_id || frm.doc.status !== "Open") return;
		frm.add_custom_button(__("Stop"), () => act(frm, "stop_job"), __("Job"));
		frm.add_custom_button(__("Requeue"), () => act(frm, "requeue_job"), __("Job"));
		frm.add_custom_button(__("Queue Status"), () => frappe.set_route("queue-status"));
	},
});

function act(frm, method) {
	frappe.confirm(__("{0} job {1}?", [method === "stop_job" ? __("Stop") : __("Requeue"), frm.doc.job_id]), () =>
		frappe
			.call(`perf_engine.api.${method}`, { job_id: frm.doc.job_id })
			.then(({ message }) => frappe.show_alert({ message: message.action, indicator: "green" }))
	);
}
