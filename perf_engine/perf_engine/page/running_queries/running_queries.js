// Running Queries: the site's statements over the threshold, who waits on whom, and KILL QUERY
// (System Manager, confirmed). Refreshes itself while shown; Pause stops the refresh.
{% include "perf_engine/public/js/desk.js" %}

frappe.pages["running-queries"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({ parent: wrapper, title: __("Running Queries"), single_column: true });
	const view = new frappe.perf_engine.RunningQueries(page);
	page.set_secondary_action(__("Refresh"), () => view.refresh());
	view.$pause = page.add_inner_button(__("Pause"), () => view.toggle_pause());
	page.add_inner_button(__("Top Queries"), () => frappe.set_route("top-queries"));
	page.add_inner_button(__("Deadlocks"), () => frappe.set_route("List", "Deadlock"));
	$(wrapper).on("hide", () => view.stop_refreshing());
	wrapper.view = view;
};

frappe.pages["running-queries"].on_page_show = function (wrapper) {
	wrapper.view.start_refreshing();
};

frappe.perf_engine.RunningQueries = class RunningQueries {
	static REFRESH_MS = 5000;

	constructor(page) {
		this.page = page;
		this.paused = false;
		this.$summary = $('<div class="running-summary mb-3"></div>').appendTo(page.main);
		$(`<h5>${__("Statements Running Now")}</h5>`).appendTo(page.main);
		this.$queries = $('<div class="running-statements"></div>').appendTo(page.main);
		$(`<h5 class="mt-4">${__("Blocking Chains")}</h5>`).appendTo(page.main);
		this.$chains = $('<div class="blocking-chains"></div>').appendTo(page.main);
		$(`<h5 class="mt-4">${__("Lock Waits")}</h5>`).appendTo(page.main);
		this.$waits = $('<div class="lock-waits"></div>').appendTo(page.main);
		this.$notes = $('<div class="running-notes mt-3"></div>').appendTo(page.main);
	}

	start_refreshing() {
		this.stop_refreshing();
		this.refresh();
		if (!this.paused) this.timer = setInterval(() => this.refresh(), RunningQueries.REFRESH_MS);
	}

	stop_refreshing() {
		clearInterval(this.timer);
		this.timer = null;
	}

	toggle_pause() {
		this.paused = !this.paused;
		this.$pause.text(this.paused ? __("Resume") : __("Pause"));
		this.paused ? this.stop_refreshing() : this.start_refreshing();
	}

	refresh() {
		frappe.call({ method: "perf_engine.api.running_queries", type: "GET" }).then(({ message }) => this.render(message));
	}

	render(found) {
		const pe = frappe.perf_engine;
		const paused = this.paused ? ` · ${__("paused")}` : "";
		this.$summary.html(
			`<span class="text-muted small">${pe.esc(
				__("{0} thread(s) of database {1} (user {2}); statements running {3} s or longer; {4} idle in a transaction; read in {5} ms", [
					found.threads, found.site.database, found.site.user, found.threshold_s, found.idle_in_transaction, found.read_ms,
				])
			)}${pe.esc(paused)}</span>`
		);
		const can_kill = frappe.user.has_role("System Manager");
		this.$queries.html(
			found.queries.length
				? pe.table(
						["Thread", "Time (s)", "State", "Rows Examined", "Transaction", "Statement", ""],
						found.queries.map((q) => [
							q.thread_id,
							{ html: pe.float(q.time_s, 1) },
							q.state,
							{ html: pe.int(q.rows_examined) },
							this.transaction(q.transaction),
							{ html: `<code class="small">${pe.esc(q.statement)}</code>` },
							can_kill ? pe.button(__("Kill Query"), { kill: q.thread_id, query: q.query_id }, "danger") : "",
						])
				  )
				: pe.muted(__("No statement of this site has run {0} s or longer.", [found.threshold_s]))
		);
		this.$queries.find("[data-kill]").on("click", (e) => this.kill($(e.currentTarget)));
		this.$chains.html(
			found.chains.length ? found.chains.map((chain) => this.chain(chain)).join("") : pe.muted(__("Nobody waits for a lock."))
		);
		this.$waits.html(
			found.lock_waits.length
				? pe.table(
						["Waiting Thread", "Waiting (s)", "Kind", "Lock", "Waiting Statement", "Blocked By", "Blocker Is Doing"],
						found.lock_waits.map((w) => [
							w.waiter,
							{ html: pe.int(w.wait_s) },
							w.kind,
							[w.lock_mode, w.lock_table, w.lock_index].filter(Boolean).join(" "),
							{ html: `<code class="small">${pe.esc(w.waiter_statement)}</code>` },
							w.blocker == null ? __("unknown") : w.blocker,
							w.blocker_doing,
						])
				  )
				: pe.muted(__("No lock waits."))
		);
		this.$notes.html(found.notes.map((n) => `<div class="alert alert-warning small mb-1">${pe.esc(n)}</div>`).join(""));
	}

	transaction(trx) {
		if (!trx) return "";
		return __("{0} s old, {1} row lock(s), {2} table(s) locked", [trx.age_s, trx.rows_locked, trx.tables_locked]);
	}

	chain(chain) {
		const pe = frappe.perf_engine;
		const root = chain.root;
		const waiting = chain.waiting
			.map((w) => `<li style="margin-left: ${pe.esc(w.depth - 1)}em">${pe.esc(__("thread {0} waits for thread {1}", [w.thread_id, w.waits_for]))}</li>`)
			.join("");
		return `<div class="frappe-card p-3 mb-2 blocking-chain">
			<div><b>${pe.esc(__("Thread {0} blocks {1} thread(s)", [root.thread_id, chain.blocked_threads]))}</b></div>
			<div class="small"><code>${pe.esc(root.doing)}</code></div>
			<ul class="small mb-0">${waiting}</ul>
		</div>`;
	}

	kill($button) {
		const thread_id = Number($button.data("kill"));
		const query_id = Number($button.data("query"));
		const statement = $button.closest("tr").find("code").text();
		frappe.confirm(
			__("Stop this statement of thread {0} with KILL QUERY? The connection stays; only this statement ends.", [thread_id]) +
				`<pre class="small mt-2">${frappe.perf_engine.esc(statement)}</pre>`,
			() =>
				frappe.call("perf_engine.api.kill_query", { thread_id, query_id }).then(({ message }) => {
					frappe.show_alert({ message: __("Thread {0}: {1}", [thread_id, message.message]), indicator: message.killed ? "green" : "orange" });
					this.refresh();
				})
		);
	}
};
