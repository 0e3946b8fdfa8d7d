// Redis Memory: usage against the limit, memory by key prefix, dry run and clean up.
frappe.pages["redis-memory"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({ parent: wrapper, title: __("Redis Memory"), single_column: true });
	const view = new RedisMemoryView(page);
	page.set_primary_action(__("Clean Up"), () => view.cleanup(false), "delete");
	page.add_inner_button(__("Dry Run"), () => view.cleanup(true));
	page.add_inner_button(__("Warm Caches"), () => view.warm());
	page.set_secondary_action(__("Refresh"), () => view.refresh());
	view.refresh();
};

class RedisMemoryView {
	constructor(page) {
		this.$summary = $("<div></div>").appendTo(page.main);
		$(`<h5 class="mt-4">${__("This site's keys by prefix (sampled)")}</h5>`).appendTo(page.main);
		this.$breakdown = $("<div></div>").appendTo(page.main);
		this.$result = $('<div class="mt-4"></div>').appendTo(page.main);
	}

	refresh() {
		frappe.call("perf_engine.api.get_redis_memory").then(({ message }) => this.render(message));
	}

	render(m) {
		const pct = m.pressure == null ? null : Math.round(m.pressure * 1000) / 10;
		const colour = pct == null ? "gray" : pct >= m.threshold * 100 ? "red" : pct >= m.target * 100 ? "orange" : "green";
		const limit = m.limit_bytes ? frappe.form.formatters.Int(m.limit_bytes / 1048576) + " MB" : __("none (set maxmemory or a budget)");
		this.$summary.html(`
			<div class="frappe-card p-3">
				<div class="d-flex justify-content-between"><b>${__("Used")} ${(m.used_memory / 1048576).toFixed(1)} MB / ${limit}</b>
				<span class="indicator-pill ${colour}">${pct == null ? __("no limit") : pct + " %"}</span></div>
				<div class="progress mt-2"><div class="progress-bar bg-${colour === "green" ? "success" : colour === "orange" ? "warning" : "danger"}" style="width:${pct || 0}%"></div></div>
				<div class="mt-2">${__("Peak")} ${(m.used_memory_peak / 1048576).toFixed(1)} MB · ${__("Policy")} ${m.maxmemory_policy}
				· ${__("Fragmentation (allocator)")} ${m.allocator_frag_ratio ?? "—"} · ${__("Evicted")} ${m.evicted_keys}
				· ${__("Expired")} ${m.expired_keys} · ${__("Hit rate")} ${m.hit_rate == null ? "—" : Math.round(m.hit_rate * 100) + " %"}</div>
				<div class="text-muted small mt-1">${__("Cleanup above {0} %, down to {1} %.", [m.threshold * 100, m.target * 100])} ${m.note}</div>
			</div>`);
		const rows = m.breakdown.prefixes.map((p) => `<tr><td>${frappe.utils.escape_html(p.prefix)}</td><td>${p.keys}</td><td>${(p.bytes / 1024).toFixed(1)} KB</td></tr>`);
		this.$breakdown.html(`<table class="table table-bordered table-sm"><thead><tr><th>${__("Prefix")}</th><th>${__("Keys")}</th><th>${__("Memory")}</th></tr></thead><tbody>${rows.join("")}</tbody></table>
			<div class="text-muted small">${__("{0} keys sampled", [m.breakdown.sampled_keys])}${m.breakdown.complete ? "" : " " + __("(sample limit reached)")}</div>`);
	}

	cleanup(dry_run) {
		const run = () =>
			frappe.call({ method: "perf_engine.api.cleanup_redis", args: { dry_run: dry_run ? 1 : 0, force: 1 }, freeze: true }).then(({ message }) => {
				const verb = dry_run ? __("Would delete") : __("Deleted");
				this.$result.html(`<div class="alert alert-info">${verb} ${message.keys} ${__("keys")}, ${(message.bytes / 1024).toFixed(1)} KB.</div>`);
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
}
