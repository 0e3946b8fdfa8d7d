// Copyright (c) 2026, perf_engine developers and contributors
// For license information, please see license.txt

{% include "perf_engine/public/js/desk.js" %}

frappe.ui.form.on("Load Test Run", {
	refresh(frm) {
		frappe.perf_engine.LoadTestRun.chart(frm);
		if (frm.doc.sla_verdict === "Pass" && frm.doc.sustainable_requests_per_worker_per_min && !frm.doc.calibration_applied) {
			frm.add_custom_button(__("Apply Calibration"), () => frappe.perf_engine.LoadTestRun.apply(frm));
		}
	},
});

frappe.perf_engine.LoadTestRun = class LoadTestRun {
	// p50, p95 and p99 per request kind beside each kind's threshold.
	static chart(frm) {
		const wrapper = frm.get_field("chart_html").$wrapper;
		const kinds = (frm.doc.kinds || []).filter((row) => row.requests);
		wrapper.empty();
		if (!kinds.length) return;
		const values = (field) => kinds.map((row) => row[field] || 0);
		new frappe.Chart(wrapper.get(0), {
			title: __("Response time per kind (ms)"),
			type: "bar",
			height: 240,
			data: {
				labels: kinds.map((row) => row.kind),
				datasets: [
					{ name: __("p50"), values: values("p50_ms") },
					{ name: __("p95"), values: values("p95_ms") },
					{ name: __("p99"), values: values("p99_ms") },
					{ name: __("Threshold"), values: values("threshold_ms"), chartType: "line" },
				],
			},
			colors: ["green", "orange", "red", "grey"],
		});
	}

	static apply(frm) {
		const rate = frappe.perf_engine.float(frm.doc.sustainable_requests_per_worker_per_min, 1);
		frappe.confirm(
			__("Use {0} requests per web worker per minute, measured by this run, in every Capacity Model of this site?", [rate]),
			() =>
				frappe
					.call({
						method: "perf_engine.api.apply_calibration",
						args: { load_test_run: frm.doc.name },
						freeze: true,
					})
					.then(({ message }) => {
						frappe.show_alert({ message: __("Calibration applied"), indicator: "green" });
						frm.reload_doc();
						if (message.capacity_model) frappe.set_route("Form", "Capacity Model", message.capacity_model);
					})
		);
	}
};
