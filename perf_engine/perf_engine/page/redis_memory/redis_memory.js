// Redis Memory: usage against the limit, memory by key prefix, dry run and clean up.
{% include "perf_engine/public/js/desk.js" %}

frappe.pages["redis-memory"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({ parent: wrapper, title: __("Redis Memory"), single_column: true });
	const view = new frappe.perf_engine.RedisMemory(page);
	page.set_primary_action(__("Clean Up"), () => view.cleanup(false), "delete");
	page.add_inner_button(__("Dry Run"), () => view.cleanup(true));
	page.add_inner_button(__("Warm Caches"), () => view.warm());
	page.set_secondary_action(__("Refresh"), () => view.refresh());
	view.refresh();
};

frappe.perf_engine.RedisMemory = class RedisMemory {
	static BAR_STYLES = { green: "success", orange: "warning", red: "danger", gray: "secondary" };

	constructor(page) {
		this.$summary = $('<div class="redis-summary"></div>').appendTo(page.main);
		$(`<h5 class="mt-4">${__("This site's keys by prefix (sampled)")}</h5>`).appendTo(page.main);
		this.$breakdown = $('<div class="redis-breakdown"></div>').appendTo(page.main);
		this.$result = $('<div class="mt-4"></div>').appendTo(page.main);
	}

	refresh() {
		frappe.call("perf_engine.api.get_redis_memory").then(({ message }) => this.render(message));
	}

	colour(m) {
		if (m.pressure == null) return "gray";
		return m.pressure >= m.threshold ? "red" : m.pressure >= m.target ? "orange" : "green";
	}

	render(m) {
		const { esc, int, bytes, percent, float, pill, table } = frappe.perf_engine;
		const colour = this.colour(m);
		const width = m.pressure == null ? 0 : Math.min(100, Math.round(m.pressure * 100));
		const limit = m.limit_bytes ? bytes(m.limit_bytes) : __("none (set maxmemory or a budget)");
		this.$summary.html(`
			<div class="frappe-card p-3">
				<div class="d-flex justify-content-between"><b>${esc(__("Used {0} of {1}", [bytes(m.used_memory), limit]))}</b>
				${pill(colour, m.pressure == null ? __("no limit") : percent(m.pressure)).html}</div>
				<div class="progress mt-2"><div class="progress-bar bg-${RedisMemory.BAR_STYLES[colour]}" style="width:${width}%"></div></div>
				<div class="mt-2">${__("Peak")} ${bytes(m.used_memory_peak)} · ${__("Policy")} ${esc(m.maxmemory_policy)}
				· ${__("Fragmentation (allocator)")} ${float(m.allocator_frag_ratio)} · ${__("Evicted")} ${int(m.evicted_keys)}
				· ${__("Expired")} ${int(m.expired_keys)} · ${__("Hit rate")} ${percent(m.hit_rate, 0)}</div>
				<div class="text-muted small mt-1">${esc(__("Cleanup above {0}, down to {1}.", [percent(m.threshold, 0), percent(m.target, 0)]))} ${esc(m.note)}</div>
			</div>`);
		const sampled = __("{0} keys sampled", [int(m.breakdown.sampled_keys)]) + (m.breakdown.complete ? "" : " " + __("(sample limit reached)"));
		this.$breakdown.html(
			table(
				["Prefix", "Keys", "Memory"],
				m.breakdown.prefixes.map((p) => [p.prefix, { html: int(p.keys) }, { html: bytes(p.bytes) }])
			) + `<div class="text-muted small">${esc(sampled)}</div>`
		);
	}

	cleanup(dry_run) {
		const run = () =>
			frappe.call({ method: "perf_engine.api.cleanup_redis", args: { dry_run: dry_run ? 1 : 0, force: 1 }, freeze: true }).then(({ message }) => {
				const { esc, int, bytes } = frappe.perf_engine;
				const verb = dry_run ? __("Would delete") : __("Deleted");
				const patterns = (message.by_pattern || []).map(
					(p) => `<li><code>${esc(p.pattern)}</code>: ${int(p.keys)} ${__("keys")}, ${bytes(p.bytes)}</li>`
				);
				this.$result.html(`<div class="alert alert-info">${esc(verb)} ${int(message.keys)} ${__("keys")}, ${bytes(message.bytes)}.<ul class="mb-0">${patterns.join("")}</ul></div>`);
				this.refresh();
			});
		if (dry_run) run();
		else frappe.confirm(__("Delete this site's non-essential cache keys now?"), run);
	}

	warm() {
		frappe.call({ method: "perf_engine.api.warm_caches", freeze: true }).then(({ message }) =>
			frappe.show_alert(frappe.perf_engine.esc(message.skipped || __("Warmed {0} entries in {1} s", [message.warmed, message.duration_s])))
		);
	}
};
