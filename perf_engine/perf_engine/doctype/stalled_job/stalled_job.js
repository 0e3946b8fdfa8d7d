// Copyright (c) 2026, perf_engine developers and contributors
// For license information, please see license.txt

{% include "perf_engine/public/js/desk.js" %}

frappe.ui.form.on("Stalled Job", {
	refresh(frm) {
		if (!frm.doc.job_id || frm.doc.status !== "Open") return;
		const act = frappe.perf_engine.StalledJob.act;
		frm.add_custom_button(__("Stop"), () => act(frm, "stop_job"), __("Job"));
		frm.add_custom_button(__("Requeue"), () => act(frm, "requeue_job"), __("Job"));
		frm.add_custom_button(__("Queue Status"), () => frappe.set_route("queue-status"));
	},
});

frappe.perf_engine.StalledJob = class StalledJob {
	static act(frm, method) {
		const verb = method === "stop_job" ? __("Stop") : __("Requeue");
		frappe.confirm(__("{0} job {1}?", [verb, frappe.perf_engine.esc(frm.doc.job_id)]), () =>
			frappe
				.call(`perf_engine.api.${method}`, { job_id: frm.doc.job_id })
				.then(({ message }) => frappe.show_alert({ message: frappe.perf_engine.esc(message.action), indicator: "green" }))
		);
	}
};
