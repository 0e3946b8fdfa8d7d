// Redis Memory: usage against the limit, memory by key prefix, dry run and clean up.
frappe.provide("perf_engine.pages");

frappe.pages["redis-memory"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({ parent: wrapper, title: __("Redis Memory"), single_column: true });
	const view = new perf_engine.pages.RedisMemory(page);
	page.set_primary_action(__("Clean Up"), () => view.cleanup(false), "delete");
	page.add_inner_button(__("Dry Run"), () => view.cleanup(true));
	page.add_inner_button(__("Warm Caches"), () => view.warm());
	page.set_secondary_action(__("Refresh"), () => view.refresh());
	view.refresh();
};

perf_engine.pages.RedisMemory = class RedisMemory {
	// Frappe's own formatters, with their real signatures: FileSize(bytes), Int(value, docfield, options).
	static size(bytes) {
		return frappe.form.formatters.FileSize(bytes) + "B";
	}

	static count(value) {
		return frappe.form.formatters.Int(value, { fieldtype: "Int" }, { inline: true });
	}

	constructor(page) {
		this.$summary = $('<div class="redis-summary"></div>').appendTo(page.main);
		$(`<h5 class="mt-4">${__("This site's keys by prefix (sampled)")}</h5>`).appendTo(page.main);
		this.$breakdown = $('<div class="redis-breakdown"></div>').appendTo(page.main);
		this.$result = $('<div class="mt-4"></div>').appendTo(page.main);
	}

	refresh() {
		frappe.call("perf_engine.api.get_redis_memory").then(({ message }) => this.render(message));
	}

	render(m) {
		const { size, count } = perf_engine.pages.RedisMemory;
		const escape = frappe.utils.escape_html;
		const pct = m.pressure == null ? null : Math.round(m.pressure * 1000) / 10;
		const colour = pct == null ? "gray" : pct >= m.threshold * 100 ? "red" : pct >= m.target * 100 ? "orange" : "green";
		const bar = { green: "success", orange: "warning", red: "danger", gray: "secondary" }[colour];
		const limit = m.limit_bytes ? size(m.limit_bytes) : __("none (set maxmemory or a budget)");
		const hit_rate = m.hit_rate == null ? "—" : Math.round(m.hit_rate * 100) + " %";
		this.$summary.html(`
			<div class="frappe-card p-3">
				<div class="d-flex justify-content-between"><b>${__("Used {0} of {1}", [size(m.used_memory), limit])}</b>
				<span class="indicator-pill ${colour}">${pct == null ? __("no limit") : pct + " %"}</span></div>
				<div class="progress mt-2"><div class="progress-bar bg-${bar}" style="width:${pct || 0}%"></div></div>
				<div class="mt-2">${__("Peak")} ${size(m.used_memory_peak)} · ${__("Policy")} ${escape(m.maxmemory_policy || "")}
				· ${__("Fragmentation (allocator)")} ${m.allocator_frag_ratio ?? "—"} · ${__("Evicted")} ${count(m.evicted_keys)}
				· ${__("Expired")} ${count(m.expired_keys)} · ${__("Hit rate")} ${hit_rate}</div>
				<div class="text-muted small mt-1">${__("Cleanup above {0} %, down to {1} %.", [m.threshold * 100, m.target * 100])} ${escape(m.note)}</div>
			</div>`);
		const rows = m.breakdown.prefixes.map(
			(p) => `<tr><td>${escape(p.prefix)}</td><td>${count(p.keys)}</td><td>${size(p.bytes)}</td></tr>`
		);
		this.$breakdown.html(`<table class="table table-bordered table-sm"><thead><tr><th>${__("Prefix")}</th><th>${__("Keys")}</th><th>${__("Memory")}</th></tr></thead><tbody>${rows.join("")}</tbody></table>
			<div class="text-muted small">${__("{0} keys sampled", [count(m.breakdown.sampled_keys)])}${m.breakdown.complete ? "" : " " + __("(sample limit reached)")}</div>`);
	}

	cleanup(dry_run) {
		const run = () =>
			frappe.call({ method: "perf_engine.api.cleanup_redis", args: { dry_run: dry_run ? 1 : 0, force: 1 }, freeze: true }).then(({ message }) => {
				const { size, count } = perf_engine.pages.RedisMemory;
				const verb = dry_run ? __("Would delete") : __("Deleted");
				const patterns = (message.by_pattern || []).map(
					(p) => `<li><code>${frappe.utils.escape_html(p.pattern)}</code>: ${count(p.keys)} ${__("keys")}, ${size(p.bytes)}</li>`
				);
				this.$result.html(`<div class="alert alert-info">${verb} ${count(message.keys)} ${__("keys")}, ${size(message.bytes)}.<ul class="mb-0">${patterns.join("")}</ul></div>`);
				this.refresh();
			});
		if (dry_run) run();
		else frappe.confirm(__("Delete this site's non-essential cache keys now?"), run);
	}

	warm() {
		frappe.call({ method: "perf_engine.api.warm_caches", freeze: true }).then(({ message }) =>
			frappe.show_alert(message.skipped || __("Warmed {0} entries in {1} s", [message.warmed, message.duration_s]))
		);
	}
};
