// perf_engine's one set of Desk helpers, pulled into each page and form script by
// Frappe's include directive (see queue_status.js). Every value placed into HTML is
// escaped here; markup built from escaped parts is passed as {html: "..."}.
frappe.provide("frappe.perf_engine");

Object.assign(frappe.perf_engine, {
	esc(value) {
		return frappe.utils.escape_html(value == null ? "" : String(value));
	},

	// A cell, label or text: escaped, or trusted markup made by the helpers below.
	render(value) {
		if (value && typeof value === "object" && "html" in value) return value.html;
		return value == null || value === "" ? "—" : frappe.perf_engine.esc(value);
	},

	int(value) {
		return value == null ? "—" : frappe.form.formatters.Int(value, { fieldtype: "Int" }, { inline: true });
	},

	float(value, precision = 2) {
		if (value == null) return "—";
		return frappe.form.formatters.Float(value, { fieldtype: "Float", precision }, { inline: true });
	},

	number(value) {
		return Number.isInteger(value) ? frappe.perf_engine.int(value) : typeof value === "number" ? frappe.perf_engine.float(value) : value;
	},

	percent(ratio, precision = 1) {
		if (ratio == null) return "—";
		return frappe.form.formatters.Percent(ratio * 100, { fieldtype: "Percent", precision }, { inline: true });
	},

	bytes(value) {
		return value == null ? "—" : `${frappe.form.formatters.FileSize(value)}B`;
	},

	pill(colour, label) {
		const esc = frappe.perf_engine.esc;
		return { html: `<span class="indicator-pill ${esc(colour)}">${esc(label)}</span>` };
	},

	button(label, data, style = "default") {
		const esc = frappe.perf_engine.esc;
		const attrs = Object.entries(data)
			.map(([key, value]) => `data-${esc(key)}="${esc(value)}"`)
			.join(" ");
		return { html: `<button class="btn btn-xs btn-${esc(style)}" ${attrs}>${esc(label)}</button>` };
	},

	join(...parts) {
		return { html: parts.map(frappe.perf_engine.render).join(" ") };
	},

	link(route, label) {
		const esc = frappe.perf_engine.esc;
		return { html: `<a href="/app/${route.map((p) => encodeURIComponent(p)).join("/")}">${esc(label)}</a>` };
	},

	// One bordered table; headers are translated, every cell goes through render().
	table(headers, rows) {
		const esc = frappe.perf_engine.esc;
		const head = headers.map((h) => `<th>${esc(h ? __(h) : "")}</th>`).join("");
		const body = rows
			.map((row) => `<tr>${row.map((cell) => `<td>${frappe.perf_engine.render(cell)}</td>`).join("")}</tr>`)
			.join("");
		return `<table class="table table-bordered table-sm"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
	},

	muted(text) {
		return `<p class="text-muted">${frappe.perf_engine.esc(text)}</p>`;
	},

	// A line chart, or the muted `empty_text` below two points with a number: frappe-charts first
	// draws each line with one point fewer, and an empty path ("M") is an error in the browser.
	line_chart($wrapper, options, empty_text) {
		const numeric = (value) => typeof value === "number" && Number.isFinite(value);
		const { labels, datasets } = options.data;
		const points = labels.filter((_, i) => datasets.some((d) => numeric(d.values[i]))).length;
		if (points < 2) {
			$wrapper.html(frappe.perf_engine.muted(empty_text));
			return null;
		}
		$wrapper.empty();
		const values = datasets.map((d) => ({ ...d, values: labels.map((_, i) => (numeric(d.values[i]) ? d.values[i] : 0)) }));
		return new frappe.Chart($wrapper[0], { ...options, type: "line", data: { labels, datasets: values } });
	},
});
