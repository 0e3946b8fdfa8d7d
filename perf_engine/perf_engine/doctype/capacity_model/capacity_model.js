// Copyright (c) 2026, perf_engine developers and contributors
// For license information, please see license.txt

{% include "perf_engine/public/js/desk.js" %}

frappe.ui.form.on("Capacity Model", {
	onload(frm) {
		if (frm.is_new() && !frm.doc.host_cpu_cores) {
			frappe.call("perf_engine.api.get_host_resources").then(({ message }) => {
				frm.set_value("host_cpu_cores", message.host_cpu_cores);
				frm.set_value("host_memory_gb", message.host_memory_gb);
			});
		}
	},
	refresh(frm) {
		if (!frm.is_new()) frm.add_custom_button(__("Find Capacity"), () => frappe.perf_engine.FindCapacity.show(frm));
		const report = frm.doc.result_json && JSON.parse(frm.doc.result_json);
		frm.get_field("results_html").$wrapper.html(report ? frappe.perf_engine.CapacityReport.render(report) : "");
	},
});

frappe.perf_engine.CapacityReport = class CapacityReport {
	static VERDICT_COLOURS = { fine: "green", "under-provisioned": "red", "over-provisioned": "orange" };

	static part_error(part) {
		return part && part.error ? frappe.perf_engine.muted(`${__("Not available")}: ${part.error}`) : "";
	}

	static sizing(advice) {
		const { esc, pill } = frappe.perf_engine;
		const lines = [...advice.floors, ...advice.notes].map((line) => `<li>${esc(line)}</li>`).join("");
		const verdict = pill(advice.fits ? "green" : "red", advice.fits ? __("fits") : __("exceeds a hard limit"));
		return `<p>${verdict.html} ${esc(advice.verdict)}</p>${lines ? `<ul>${lines}</ul>` : ""}`;
	}

	// Web workers the assumed per-worker rates predict beside those the measured (calibrated) rate gives.
	static calibration(report) {
		const { table, number, link, muted } = frappe.perf_engine;
		const part = report.calibration;
		if (!part) return "";
		const html = (text) => ({ html: text });
		const rates = (r) => __("{0} requests, {1} API calls", [r.requests_per_worker_per_min, r.api_calls_per_worker_per_min]);
		const by_kind = part.by_kind || {};
		const lower = by_kind["Lower bound"];
		const capacity = by_kind["Measured capacity"];
		const run = (kind) => (kind ? link(["load-test-run", kind.run], kind.run) : null);
		const rows = [
			[__("Per worker per minute"), rates(part.assumed_rates), lower ? html(number(lower.requests_per_worker_per_min)) : null, capacity ? html(number(capacity.requests_per_worker_per_min)) : null],
			[__("Recommended gunicorn workers"), html(number(part.predicted.recommended_gunicorn_workers)), lower ? html(number(lower.recommended_gunicorn_workers)) : null, capacity ? html(number(capacity.recommended_gunicorn_workers)) : null],
			[__("From"), __("reference formulas"), run(lower), run(capacity)],
		];
		const source = part.calibration
			? `<p>${__("Recommendation calibrated by")} ${link(["load-test-run", part.calibration], part.calibration).html}</p>`
			: muted(__("No calibration applied: the recommendation uses the assumed rates. Apply one from a passing Load Test Run or a capacity search (Find Capacity)."));
		return `${source}${table(["Figure", "Predicted (assumed rates)", "Lower bound (load test)", "Measured capacity (capacity search)"], rows)}`;
	}

	static render(report) {
		const { esc, number, table, pill, muted } = frappe.perf_engine;
		const ref = report.reference;
		const advice = report.recommendation;
		if (!advice) return muted(__("Saved by an older version: save the model again to see its recommendation."));
		const measured = report.measured || {};
		const html = (text) => ({ html: text });
		const min = (pair) => html(`${number(pair.recommended)} (${__("min")} ${number(pair.minimum)})`);
		const workers = (b) => __("{0} default, {1} short, {2} long", [b.default, b.short, b.long]);
		const measured_from = measured.error
			? __("not available: {0}", [measured.error])
			: measured.missing && measured.missing.length
			? __("monitor: no data for {0}", [measured.missing.join(", ")])
			: __("Frappe monitor");
		const side_by_side = table(
			["Figure", "Recommended", "Reference formulas", "Measured model"],
			[
				[__("Gunicorn workers"), min(advice.gunicorn_workers), min({ recommended: ref.web.recommended_gunicorn_workers, minimum: ref.web.minimum_gunicorn_workers }), html(number(measured.gunicorn_workers))],
				[__("Background workers"), workers(advice.background), workers(ref.background), html(number(measured.background_workers))],
				[__("DB pool"), min(advice.db_pool), min({ recommended: ref.db_connections.recommended_pool, minimum: ref.db_connections.minimum }), null],
				[__("Report time (s)"), html(number(advice.report.seconds_per_report)), null, null],
				[__("Peak requests / min"), html(number(ref.web.peak_requests_per_min)), html(number(ref.web.peak_requests_per_min)), measured.requests ? html(number(measured.requests.peak_rate_per_s * 60)) : null],
				[__("Mean service time (s)"), null, null, measured.requests ? html(number(measured.requests.mean_service_s)) : null],
				[__("Inputs from"), __("your figures"), __("your figures"), measured_from],
			]
		);
		const comparison =
			report.comparison && report.comparison.rows
				? table(
						["Resource", "Now", "Minimum", "Recommended", "Verdict", "Source"],
						report.comparison.rows.map((r) => [
							r.resource,
							html(number(r.actual)),
							html(number(r.minimum)),
							html(number(r.recommended)),
							r.verdict ? pill(CapacityReport.VERDICT_COLOURS[r.verdict], __(r.verdict)) : null,
							r.source,
						])
				  )
				: CapacityReport.part_error(report.comparison);
		const tiers =
			report.volume_tiers && report.volume_tiers.tables
				? table(
						["Table", "Rows (estimate)", "Tier", "Action"],
						report.volume_tiers.tables.map((t) => [t.table, html(number(t.rows)), t.tier, t.action])
				  )
				: CapacityReport.part_error(report.volume_tiers);
		const host = ref.host_gunicorn;
		const mix = ref.mix_estimate;
		const gunicorn = `--workers ${host.workers} --worker-class ${host.worker_class} --threads ${host.threads} --timeout ${host.timeout} --keep-alive ${host.keepalive} --max-requests ${host.max_requests} --max-requests-jitter ${host.max_requests_jitter}`;
		return `
			<h5>${__("Sizing")}</h5>${CapacityReport.sizing(advice)}
			<h5>${__("Recommendation, reference formulas and measured model")}</h5>${side_by_side}
			<h5>${__("Predicted against measured")}</h5>${CapacityReport.calibration(report)}
			<h5>${__("What the bench runs now")}</h5>${comparison}
			<h5>${__("Transaction-mix estimate")}</h5>
			<p>${esc(__("{0} requests/min: {1} gunicorn, {2} default, {3} long, {4} short workers", [mix.requests_per_min, mix.gunicorn_workers, mix.background_default, mix.background_long, mix.background_short]))}</p>
			<h5>${__("Gunicorn settings for this host")}</h5>
			<pre>${esc(gunicorn)}</pre>
			<h5>${__("Largest tables")}</h5>${tiers}`;
	}
};

// The load must come from outside the web workers, so the form hands over the command to run.
frappe.perf_engine.FindCapacity = class FindCapacity {
	static show(frm) {
		frappe
			.call({ method: "perf_engine.api.find_capacity_command", args: { capacity_model: frm.doc.name }, type: "GET" })
			.then(({ message }) => {
				const { esc } = frappe.perf_engine;
				frappe.msgprint({
					title: __("Find Capacity"),
					indicator: "blue",
					message: `<p>${esc(
						__("Run this where the load should come from (not inside a web worker), with the user's password in {0}:", [message.password_env])
					)}</p><pre>${esc(message.command)}</pre><p>${esc(
						__("It steps the request rate up in this model's mix until a p95 passes its Performance Threshold or failures pass 1 %, confirms one step lower, and records the curve and the knee as a Load Test Run you can apply here.")
					)}</p>`,
				});
			});
	}
};
