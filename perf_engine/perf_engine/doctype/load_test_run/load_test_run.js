// Copyright (c) 2026, perf_engine developers and contributors
// For license information, please see license.txt

{% include "perf_engine/public/js/desk.js" %}

frappe.ui.form.on("Load Test Run", {
	refresh(frm) {
		frappe.perf_engine.LoadTestRun.chart(frm);
		frappe.perf_engine.CapacityCurve.draw(frm);
		const calibrates = frm.doc.is_capacity_search || frm.doc.sla_verdict === "Pass";
		if (calibrates && frm.doc.sustainable_requests_per_worker_per_min && !frm.doc.calibration_applied) {
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
					// frappe charts cannot draw a line through one point (its path gets "undefined").
					...(kinds.length > 1 ? [{ name: __("Threshold"), values: values("threshold_ms"), chartType: "line" }] : []),
				],
			},
			colors: ["green", "orange", "red", "grey"],
		});
	}

	static apply(frm) {
		const rate = frappe.perf_engine.float(frm.doc.sustainable_requests_per_worker_per_min, 1);
		frappe.confirm(
			__("Use {0} requests per web worker per minute, measured by this run ({1}), in every Capacity Model of this site?", [
				rate,
				frappe.perf_engine.esc(__(frm.doc.capacity_kind || "Lower bound")),
			]),
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

// A capacity search's curve: offered against served rate per step, and p95 per kind per step. Bars, as
// the kinds chart: frappe charts' line paths log "undefined" points when a form refreshes.
frappe.perf_engine.CapacityCurve = class CapacityCurve {
	static MIN_STEPS = 2;

	static draw(frm) {
		const wrapper = frm.get_field("curve_html").$wrapper;
		wrapper.empty();
		const search = frm.doc.search_json ? JSON.parse(frm.doc.search_json) : null;
		if (!search || (search.steps || []).length < CapacityCurve.MIN_STEPS) return;
		const { esc } = frappe.perf_engine;
		const labels = search.steps.map((step, i) => esc(`${i + 1}: ${step.offered_rate_per_s}/s`));
		wrapper.append(`<p>${CapacityCurve.knee_text(search.knee)}</p><div class="pe-curve-rates"></div><div class="pe-curve-p95"></div>`);
		new frappe.Chart(wrapper.find(".pe-curve-rates").get(0), {
			title: __("Offered and served requests / s per step"),
			type: "bar",
			height: 220,
			data: {
				labels,
				datasets: [
					{ name: __("Offered"), values: search.steps.map((step) => step.offered_rate_per_s) },
					{ name: __("Served"), values: search.steps.map((step) => step.served_rate_per_s) },
				],
			},
			colors: ["grey", "green"],
		});
		const kinds = [...new Set(search.steps.flatMap((step) => Object.keys(step.kinds)))];
		new frappe.Chart(wrapper.find(".pe-curve-p95").get(0), {
			title: __("p95 per kind (ms) per step"),
			type: "bar",
			height: 220,
			data: {
				labels,
				datasets: kinds.map((kind) => ({
					name: esc(kind),
					values: search.steps.map((step) => (step.kinds[kind] && step.kinds[kind].p95_ms) || 0),
				})),
			},
		});
	}

	static knee_text(knee) {
		const { esc, float } = frappe.perf_engine;
		if (knee.requests_per_s == null) return esc(__("No rate kept the SLA: {0}", [knee.reason]));
		const kind = knee.measured ? __("measured capacity") : __("a lower bound");
		return esc(
			__("Knee: {0} requests / s served ({1} per web worker per minute), {2}. Broke: {3}", [
				float(knee.requests_per_s),
				knee.requests_per_worker_per_min == null ? "—" : float(knee.requests_per_worker_per_min, 1),
				kind,
				knee.reason,
			])
		);
	}
};
