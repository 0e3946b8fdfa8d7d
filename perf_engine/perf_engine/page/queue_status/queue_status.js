// Queue Status: a card per queue, the workers, and open stalls with Stop and Requeue.
const REFRESH_MS = 10000;
const ADVICE_COLOURS = { ok: "green", info: "blue", warning: "orange", critical: "red" };

frappe.pages["queue-status"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({ parent: wrapper, title: __("Queue Status"), single_column: true });
	const view = new QueueStatusView(page);
	page.set_primary_action(__("Check for Stalls"), () => view.check_stalls(), "search");
	page.set_secondary_action(__("Refresh"), () => view.refresh());
	// Refresh only while the page is shown: Desk keeps the page in the DOM when the user
	// navigates away and triggers "hide" on it, then "show" (and on_page_show) on return.
	$(wrapper).on("hide", () => view.stop_refreshing());
	wrapper.view = view;
};

frappe.pages["queue-status"].on_page_show = function (wrapper) {
	wrapper.view.start_refreshing();
};

class QueueStatusView {
	constructor(page) {
		this.page = page;
		this.$cards = $('<div class="row queue-cards"></div>').appendTo(page.main);
		$(`<h5 class="mt-4">${__("Workers")}</h5>`).appendTo(page.main);
		this.$workers = $("<div></div>").appendTo(page.main);
		$(`<h5 class="mt-4">${__("Stalled Jobs")}</h5>`).appendTo(page.main);
		this.$stalls = $("<div></div>").appendTo(page.main);
	}

	start_refreshing() {
		this.stop_refreshing();
		this.refresh();
		this.timer = setInterval(() => this.refresh(), REFRESH_MS);
	}

	stop_refreshing() {
		clearInterval(this.timer);
		this.timer = null;
	}

	refresh() {
		frappe.call("perf_engine.api.get_queue_status").then(({ message }) => this.render_queues(message));
		frappe.db
			.get_list("Stalled Job", {
				filters: { status: "Open" },
				fields: ["name", "kind", "queue", "job_id", "method", "worker", "age_s", "action", "detail"],
				order_by: "last_seen desc",
				limit: 50,
			})
			.then((stalls) => this.render_stalls(stalls));
	}

	render_queues(queues) {
		this.$cards.html(queues.map((q) => this.card(q)).join(""));
		const rows = queues.flatMap((q) => q.workers.names.map((w) => [w, q.queue]));
		this.$workers.html(
			rows.length
				? table([__("Worker"), __("Queue")], rows)
				: `<p class="text-muted">${__("No live worker. Start one with bench worker.")}</p>`
		);
	}

	card(q) {
		const colour = ADVICE_COLOURS[q.severity] || "gray";
		const age = q.oldest_queued_age_s == null ? "—" : `${Math.round(q.oldest_queued_age_s)} s`;
		return `<div class="col-md-4 mb-3"><div class="frappe-card p-3">
			<div class="d-flex justify-content-between"><b>${frappe.utils.escape_html(q.queue)}</b>
			<span class="indicator-pill ${colour}">${__(q.advice)}</span></div>
			<div class="mt-2">${__("Queued")} <b>${q.queued}</b> · ${__("Started")} ${q.started} · ${__("Failed")} ${q.failed}</div>
			<div>${__("Deferred")} ${q.deferred} · ${__("Scheduled")} ${q.scheduled} · ${__("Finished")} ${q.finished}</div>
			<div>${__("Oldest queued")}: ${age}</div>
			<div>${__("Workers")}: ${q.workers.total} (${q.workers.busy} ${__("busy")}, ${q.workers.idle} ${__("idle")})</div>
			<div class="text-muted small mt-1">${frappe.utils.escape_html(q.reason)}</div>
		</div></div>`;
	}

	render_stalls(stalls) {
		if (!stalls.length) {
			this.$stalls.html(`<p class="text-muted">${__("No stalled jobs.")}</p>`);
			return;
		}
		const rows = stalls.map((s) => [
			frappe.utils.escape_html(s.kind), s.queue, frappe.utils.escape_html(s.method || ""),
			`${Math.round(s.age_s)} s`, frappe.utils.escape_html(s.detail || ""),
			s.job_id
				? `<button class="btn btn-xs btn-danger" data-action="stop_job" data-job="${s.job_id}">${__("Stop")}</button>
				   <button class="btn btn-xs btn-default" data-action="requeue_job" data-job="${s.job_id}">${__("Requeue")}</button>`
				: "",
		]);
		this.$stalls.html(table([__("Kind"), __("Queue"), __("Method"), __("Age"), __("Detail"), ""], rows));
		this.$stalls.find("button[data-action]").on("click", (e) => this.act($(e.currentTarget)));
	}

	act($button) {
		const method = $button.data("action");
		const job_id = $button.data("job");
		frappe.confirm(__("{0} job {1}?", [$button.text(), job_id]), () =>
			frappe.call(`perf_engine.api.${method}`, { job_id }).then(({ message }) => {
				frappe.show_alert({ message: message.action, indicator: "green" });
				this.refresh();
			})
		);
	}

	check_stalls() {
		frappe.call({ method: "perf_engine.api.detect_stalled_jobs", freeze: true }).then(({ message }) => {
			frappe.show_alert(__("{0} stall(s) found", [message.length]));
			this.refresh();
		});
	}
}

function table(headers, rows) {
	const head = headers.map((h) => `<th>${h}</th>`).join("");
	const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("");
	return `<table class="table table-bordered table-sm"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}
