// Queue Status: a card per queue, the workers, open stalls with Stop and Requeue, job statistics (per
// method, the workers' utilization over time, failures grouped), and the event bus's last hour (per
// event: published, delivered, retried, failed), the events still in the outbox and the latest
// delivery failures.
{% include "perf_engine/public/js/desk.js" %}

frappe.pages["queue-status"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({ parent: wrapper, title: __("Queue Status"), single_column: true });
	const view = new frappe.perf_engine.QueueStatus(page);
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

frappe.perf_engine.QueueStatus = class QueueStatus {
	static REFRESH_MS = 10000;
	static EVENT_WINDOW_MINUTES = 60;
	static ADVICE_COLOURS = { ok: "green", info: "blue", warning: "orange", critical: "red" };

	constructor(page) {
		this.page = page;
		this.$cards = $('<div class="row queue-cards"></div>').appendTo(page.main);
		$(`<h5 class="mt-4">${__("Workers")}</h5>`).appendTo(page.main);
		this.$workers = $("<div></div>").appendTo(page.main);
		$(`<h5 class="mt-4">${__("Stalled Jobs")}</h5>`).appendTo(page.main);
		this.$stalls = $("<div></div>").appendTo(page.main);
		this.jobs = new frappe.perf_engine.JobStats(page);
		$(`<h5 class="mt-4">${__("Events in the Last {0} Minutes", [QueueStatus.EVENT_WINDOW_MINUTES])}</h5>`).appendTo(page.main);
		this.$events = $('<div class="event-activity"></div>').appendTo(page.main);
		this.$outbox = $('<div class="event-outbox"></div>').appendTo(page.main);
		$(`<h5 class="mt-4">${__("Event Delivery Failures")}</h5>`).appendTo(page.main);
		this.$event_failures = $('<div class="event-failures"></div>').appendTo(page.main);
	}

	start_refreshing() {
		this.stop_refreshing();
		this.refresh();
		this.timer = setInterval(() => this.refresh(), QueueStatus.REFRESH_MS);
	}

	stop_refreshing() {
		clearInterval(this.timer);
		this.timer = null;
	}

	refresh() {
		frappe.call("perf_engine.api.get_queue_status").then(({ message }) => this.render_queues(message));
		this.jobs.refresh_when_due();
		frappe.db
			.get_list("Stalled Job", {
				filters: { status: "Open" },
				fields: ["name", "kind", "queue", "job_id", "method", "worker", "age_s", "action", "detail"],
				order_by: "last_seen desc",
				limit: 50,
			})
			.then((stalls) => this.render_stalls(stalls));
		frappe
			.call("perf_engine.api.get_event_activity", { window_minutes: QueueStatus.EVENT_WINDOW_MINUTES })
			.then(({ message }) => this.render_events(message));
	}

	render_events(activity) {
		const pe = frappe.perf_engine;
		const rows = activity.events.map((e) => [
			e.event,
			{ html: pe.int(e.published) },
			{ html: pe.int(e.delivered) },
			{ html: pe.int(e.retried) },
			e.failed ? pe.pill("red", e.failed) : { html: pe.int(0) },
		]);
		this.$events.html(
			rows.length
				? pe.table(["Event", "Published", "Delivered", "Retried", "Failed"], rows)
				: pe.muted(__("No event published or delivered in this window."))
		);
		this.render_outbox(activity.outbox);
		const failures = activity.recent_failures.map((f) => [
			{ html: pe.esc(frappe.datetime.str_to_user(f.failed_at)) },
			f.event,
			f.subscriber,
			{ html: pe.int(f.attempts) },
			f.error,
			pe.link(["perf-event-failure", f.name], __("Open")),
		]);
		this.$event_failures.html(
			failures.length
				? pe.table(["Failed At", "Event", "Subscriber", "Attempts", "Error", ""], failures)
				: pe.muted(__("No failed event delivery."))
		);
	}

	// Committed events whose deliveries are not enqueued past their grace: the queue Redis was down.
	render_outbox({ waiting, cap, grace_s }) {
		const pe = frappe.perf_engine;
		if (!waiting) {
			this.$outbox.html(pe.muted(__("Every committed event has its deliveries enqueued.")));
			return;
		}
		const count = waiting >= cap ? `${pe.int(cap)}+` : pe.int(waiting);
		const text = __("committed events older than {0} s are not enqueued yet; the minute sweep sends them once the queue Redis answers.", [grace_s]);
		this.$outbox.html(
			`<p>${pe.pill("orange", __("Outbox")).html} <b>${count}</b> ${pe.esc(text)} ${pe.link(["perf-event-outbox"], __("Open")).html}</p>`
		);
	}

	render_queues(queues) {
		const pe = frappe.perf_engine;
		this.$cards.html(queues.map((q) => this.card(q)).join(""));
		const rows = queues.flatMap((q) => q.workers.names.map((w) => [w, q.queue]));
		this.$workers.html(
			rows.length ? pe.table(["Worker", "Queue"], rows) : pe.muted(__("No live worker. Start one with bench worker."))
		);
	}

	card(q) {
		const { esc, int, pill } = frappe.perf_engine;
		const colour = QueueStatus.ADVICE_COLOURS[q.severity] || "gray";
		const age = q.oldest_queued_age_s == null ? "—" : `${int(Math.round(q.oldest_queued_age_s))} s`;
		return `<div class="col-md-4 mb-3"><div class="frappe-card p-3">
			<div class="d-flex justify-content-between"><b>${esc(q.queue)}</b>${pill(colour, __(q.advice)).html}</div>
			<div class="mt-2">${__("Queued")} <b>${int(q.queued)}</b> · ${__("Started")} ${int(q.started)} · ${__("Failed")} ${int(q.failed)}</div>
			<div>${__("Deferred")} ${int(q.deferred)} · ${__("Scheduled")} ${int(q.scheduled)} · ${__("Finished")} ${int(q.finished)}</div>
			<div>${__("Oldest queued")}: ${age}</div>
			<div>${__("Workers")}: ${int(q.workers.total)} (${int(q.workers.busy)} ${__("busy")}, ${int(q.workers.idle)} ${__("idle")})</div>
			<div class="text-muted small mt-1">${esc(q.reason)}</div>
		</div></div>`;
	}

	render_stalls(stalls) {
		const pe = frappe.perf_engine;
		if (!stalls.length) {
			this.$stalls.html(pe.muted(__("No stalled jobs.")));
			return;
		}
		const rows = stalls.map((s) => [
			s.kind,
			s.queue,
			s.method,
			{ html: `${pe.int(Math.round(s.age_s))} s` },
			s.detail,
			s.job_id
				? pe.join(
						pe.button(__("Stop"), { action: "stop_job", job: s.job_id }, "danger"),
						pe.button(__("Requeue"), { action: "requeue_job", job: s.job_id })
				  )
				: "",
		]);
		this.$stalls.html(pe.table(["Kind", "Queue", "Method", "Age", "Detail", ""], rows));
		this.$stalls.find("button[data-action]").on("click", (e) => this.act($(e.currentTarget)));
	}

	act($button) {
		const method = $button.data("action");
		const job_id = String($button.data("job"));
		frappe.confirm(__("{0} job {1}?", [frappe.perf_engine.esc($button.text()), frappe.perf_engine.esc(job_id)]), () =>
			frappe.call(`perf_engine.api.${method}`, { job_id }).then(({ message }) => {
				frappe.show_alert({ message: frappe.perf_engine.esc(message.action), indicator: "green" });
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
};

// The Jobs section: per method runs, failures, success rate, run time and queue wait; each queue's
// workers' busy share over the window (a chart) and now, with the capacity hint; failures grouped.
frappe.perf_engine.JobStats = class JobStats {
	// Statistics move by the minute: fetched again at most this often, or when the window changes.
	static REFRESH_MS = 60000;
	static WINDOWS = ["hour", "day", "week"];

	constructor(page) {
		this.window = "hour";
		this.fetched_at = 0;
		const $head = $(`<div class="d-flex justify-content-between align-items-center mt-4">
			<h5 class="mb-0">${__("Jobs")}</h5><select class="form-control input-xs job-window" style="width: auto"></select></div>`).appendTo(page.main);
		const $select = $head.find("select.job-window");
		JobStats.WINDOWS.forEach((w) => $select.append(`<option value="${frappe.perf_engine.esc(w)}">${frappe.perf_engine.esc(__("Last {0}", [__(w)]))}</option>`));
		$select.on("change", () => {
			this.window = $select.val();
			this.refresh();
		});
		this.$queues = $('<div class="job-queues mt-2"></div>').appendTo(page.main);
		this.$chart = $('<div class="job-utilization-chart"></div>').appendTo(page.main);
		this.$methods = $('<div class="job-methods"></div>').appendTo(page.main);
		$(`<h6 class="mt-3">${__("Failures")}</h6>`).appendTo(page.main);
		this.$failures = $('<div class="job-failures"></div>').appendTo(page.main);
		this.$method = $('<div class="job-method"></div>').appendTo(page.main);
	}

	refresh_when_due() {
		if (Date.now() - this.fetched_at >= JobStats.REFRESH_MS) this.refresh();
	}

	refresh() {
		this.fetched_at = Date.now();
		frappe.call("perf_engine.api.get_job_stats", { since: this.window }).then(({ message }) => this.render(message));
	}

	seconds(value) {
		return { html: value == null ? "—" : `${frappe.perf_engine.float(value, 3)} s` };
	}

	// The API's moments are UTC ISO strings: shown in the browser's time, in the user's date format.
	when(iso) {
		return frappe.datetime.str_to_user(moment(iso).format("YYYY-MM-DD HH:mm:ss"));
	}

	render(stats) {
		const pe = frappe.perf_engine;
		this.render_queues(stats.queues);
		this.render_chart(stats.timeline);
		const rows = stats.methods.map((m) => [
			{ html: `<code>${pe.esc(m.method)}</code>` },
			m.queues.join(", "),
			{ html: pe.int(m.runs) },
			m.failures ? pe.pill("red", m.failures) : { html: pe.int(0) },
			{ html: pe.percent(m.success_rate) },
			this.seconds(m.run_p50_s),
			this.seconds(m.run_p95_s),
			this.seconds(m.run_p99_s),
			this.seconds(m.wait_p50_s),
			this.seconds(m.wait_p95_s),
			this.seconds(m.wait_p99_s),
		]);
		this.$methods.html(
			rows.length
				? pe.table(["Method", "Queues", "Runs", "Failures", "Success", "Run p50", "Run p95", "Run p99", "Wait p50", "Wait p95", "Wait p99"], rows)
				: pe.muted(__("No job of this site ended in this window."))
		);
		const failures = stats.failures.map((f) => [
			{ html: `<code>${pe.esc(f.method)}</code>` },
			f.exception,
			{ html: pe.int(f.count) },
			{ html: pe.esc(this.when(f.last_seen)) },
			{ html: `${pe.esc(f.message)}${f.advice ? `<div class="text-muted small">${pe.esc(f.advice)}</div>` : ""}` },
			{ html: f.example ? `<details><summary>${pe.esc(__("Traceback"))}</summary><pre class="small">${pe.esc(f.example)}</pre></details>` : "" },
		]);
		this.$failures.html(
			failures.length ? pe.table(["Method", "Exception", "Count", "Last Seen", "Message", ""], failures) : pe.muted(__("No job of this site failed in this window."))
		);
		this.$method.html(pe.muted(stats.method));
	}

	render_queues(queues) {
		const pe = frappe.perf_engine;
		const rows = queues.map((q) => [
			q.queue,
			{ html: pe.percent(q.utilization) },
			{ html: pe.percent(q.utilization_now) },
			{ html: `${pe.int(q.busy_workers)} / ${pe.int(q.workers)}` },
			{ html: pe.int(q.runs) },
			this.seconds(q.wait_p95_s),
			q.hint ? pe.join(pe.pill("orange", __("Needs workers")), q.hint) : "",
		]);
		this.$queues.html(pe.table(["Queue", "Utilization", "Now", "Busy / Live Workers", "Runs", "Wait p95", "Capacity Hint"], rows));
	}

	render_chart(timeline) {
		const labels = timeline.at.map((at) => moment(at).format(this.window === "hour" ? "HH:mm" : "MM-DD HH:mm"));
		const datasets = Object.entries(timeline.queues).map(([queue, ratios]) => ({
			name: queue,
			values: ratios.map((r) => (r == null ? null : Math.round(r * 1000) / 10)),
		}));
		this.chart = frappe.perf_engine.line_chart(
			this.$chart,
			{
				title: __("Worker utilization (% of their time busy)"),
				height: 220,
				data: { labels, datasets },
				axisOptions: { xIsSeries: true, xAxisMode: "tick" },
				lineOptions: { hideDots: 1, regionFill: 0 },
			},
			__("Not enough history yet: worker utilization is charted once this window has two sampled minutes.")
		);
	}
};
