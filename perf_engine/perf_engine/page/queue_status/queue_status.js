// Queue Status: a card per queue, the workers, open stalls with Stop and Requeue, and the event bus's
// last hour (per event: published, delivered, retried, failed), the events still in the outbox and the
// latest delivery failures.
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
