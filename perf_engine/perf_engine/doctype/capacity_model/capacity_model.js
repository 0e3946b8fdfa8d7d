// Copyright (c) 2026, perf_engine developers and contributors
// For license information, please see license.txt

const VERDICT_COLOURS = { fine: "green", "under-provisioned": "red", "over-provisioned": "orange" };

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
		const report = frm.doc.result_json && JSON.parse(frm.doc.result_json);
		frm.get_field("results_html").$wrapper.html(report ? render_report(report) : "");
	},
});

function table(headers, rows) {
	const head = headers.map((h) => `<th>${__(h)}</th>`).join("");
	const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c ?? "—"}</td>`).join("")}</tr>`).join("");
	return `<table class="table table-bordered table-sm"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function fmt(value) {
	return typeof value === "number" ? format_number(value, null, Number.isInteger(value) ? 0 : 2) : value;
}

function part_error(part) {
	return part && part.error ? `<p class="text-muted">${__("Not available")}: ${frappe.utils.escape_html(part.error)}</p>` : "";
}

function render_sizing(advice) {
	const lines = [...advice.floors, ...advice.notes].map((line) => `<li>${frappe.utils.escape_html(line)}</li>`).join("");
	const colour = advice.fits ? "green" : "red";
	return `<p><span class="indicator-pill ${colour}">${advice.fits ? __("fits") : __("exceeds a hard limit")}</span> ${frappe.utils.escape_html(advice.verdict)}</p>${lines ? `<ul>${lines}</ul>` : ""}`;
}

function render_report(report) {
	const ref = report.reference;
	const advice = report.recommendation;
	if (!advice) {
		return `<p class="text-muted">${__("Saved by an older version: save the model again to see its recommendation.")}</p>`;
	}
	const measured = report.measured || {};
	const side_by_side = table(
		["Figure", "Recommended", "Reference formulas", "Measured model"],
		[
			["Gunicorn workers", `${advice.gunicorn_workers.recommended} (min ${advice.gunicorn_workers.minimum})`, `${ref.web.recommended_gunicorn_workers} (min ${ref.web.minimum_gunicorn_workers})`, fmt(measured.gunicorn_workers)],
			["Background workers", `${advice.background.default} default, ${advice.background.short} short, ${advice.background.long} long`, `${ref.background.default} default, ${ref.background.short} short, ${ref.background.long} long`, fmt(measured.background_workers)],
			["DB pool", `${advice.db_pool.recommended} (min ${advice.db_pool.minimum})`, `${ref.db_connections.recommended_pool} (min ${ref.db_connections.minimum})`, "—"],
			["Report time (s)", fmt(advice.report.seconds_per_report), "—", "—"],
			["Peak requests / min", fmt(ref.web.peak_requests_per_min), fmt(ref.web.peak_requests_per_min), measured.requests ? fmt(measured.requests.peak_rate_per_s * 60) : null],
			["Mean service time (s)", "—", "—", measured.requests ? fmt(measured.requests.mean_service_s) : null],
			["Inputs from", __("your figures"), __("your figures"), measured.error ? __("not available: {0}", [frappe.utils.escape_html(measured.error)]) : measured.missing && measured.missing.length ? __("monitor: no data for {0}", [measured.missing.join(", ")]) : __("Frappe monitor")],
		]
	);
	const comparison = report.comparison && report.comparison.rows
		? table(
				["Resource", "Now", "Minimum", "Recommended", "Verdict", "Source"],
				report.comparison.rows.map((r) => [
					r.resource, fmt(r.actual), fmt(r.minimum), fmt(r.recommended),
					r.verdict ? `<span class="indicator-pill ${VERDICT_COLOURS[r.verdict]}">${__(r.verdict)}</span>` : "—",
					r.source,
				])
		  )
		: part_error(report.comparison);
	const tiers = report.volume_tiers && report.volume_tiers.tables
		? table(["Table", "Rows (estimate)", "Tier", "Action"], report.volume_tiers.tables.map((t) => [t.table, fmt(t.rows), t.tier, t.action]))
		: part_error(report.volume_tiers);
	const host = ref.host_gunicorn;
	return `
		<h5>${__("Sizing")}</h5>${render_sizing(advice)}
		<h5>${__("Recommendation, reference formulas and measured model")}</h5>${side_by_side}
		<h5>${__("What the bench runs now")}</h5>${comparison}
		<h5>${__("Transaction-mix estimate")}</h5>
		<p>${__("{0} requests/min: {1} gunicorn, {2} default, {3} long, {4} short workers", [fmt(ref.mix_estimate.requests_per_min), ref.mix_estimate.gunicorn_workers, ref.mix_estimate.background_default, ref.mix_estimate.background_long, ref.mix_estimate.background_short])}</p>
		<h5>${__("Gunicorn settings for this host")}</h5>
		<pre>--workers ${host.workers} --worker-class ${host.worker_class} --threads ${host.threads} --timeout ${host.timeout} --keep-alive ${host.keepalive} --max-requests ${host.max_requests} --max-requests-jitter ${host.max_requests_jitter}</pre>
		<h5>${__("Largest tables")}</h5>${tiers}`;
}
