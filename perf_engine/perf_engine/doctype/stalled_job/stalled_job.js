// Copyright (c) 2026, perf_engine developers and contributors
// For license information, please see license.txt

{% include "perf_engine/public/js/desk.js" %}

frappe.ui.form.on("Stalled Job", {
	refresh(frm) {
		if (!frm.doc.job_id || frm.doc.status !== "Open") return;
		const act = frappe.perf_engine.StalledJob.act;
		frm.add_custom_button(__("Stop"), () => act(frm, "stop_job"), __("Job"));
		frm.add_custom_button(__("Requeue"), () => act(frm, "requeue_job"), __("Job"));
		// A job that may still be running is refused without force; a person who checked its host may force it.
		if (frm.doc.kind === "worker_lost" || (frm.doc.kind === "abandoned" && frm.doc.action === "warn")) {
			frm.add_custom_button(__("Requeue Anyway"), () => frappe.perf_engine.StalledJob.force_requeue(frm), __("Job"));
		}
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

	static force_requeue(frm) {
		const esc = frappe.perf_engine.esc;
		const where = frm.doc.host ? __("host {0}", [esc(frm.doc.host)]) : __("an unknown host");
		frappe.confirm(
			__("Job {0} may still be running on {1}, which cannot be inspected from here. Requeue it anyway? If it is still running there, it will run twice.", [esc(frm.doc.job_id), where]),
			() =>
				frappe
					.call("perf_engine.api.requeue_job", { job_id: frm.doc.job_id, force: 1 })
					.then(({ message }) => frappe.show_alert({ message: esc(message.action), indicator: "orange" }))
		);
	}
};
