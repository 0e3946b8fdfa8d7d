// Health overview at the top of the Perf Engine workspace: one card per subsystem.
{% include "perf_engine/public/js/desk.js" %}

frappe.perf_engine.HealthBlock = class HealthBlock {
	static COLOURS = { ok: "green", warning: "orange", critical: "red", unknown: "gray" };

	constructor(root) {
		this.overall = root.querySelector(".health-overall");
		this.parts = root.querySelector(".health-parts");
	}

	load() {
		frappe.call("perf_engine.api.get_health").then(({ message }) => this.render(message));
	}

	render(health) {
		const { esc, pill } = frappe.perf_engine;
		const colour = (status) => HealthBlock.COLOURS[status] || "gray";
		this.overall.innerHTML = pill(colour(health.status), `${__("Overall")}: ${__(health.status)}`).html;
		this.parts.innerHTML = Object.entries(health.subsystems)
			.map(
				([name, part]) => `<div class="col-md-4 mb-2"><div class="frappe-card p-2">
					<b>${esc(__(frappe.model.unscrub(name)))}</b>
					<span class="float-right">${pill(colour(part.status), __(part.status)).html}</span>
					<div class="small mt-1">${esc(part.reason)}</div>
					<div class="small text-muted">${esc(part.action)}</div>
				</div></div>`
			)
			.join("");
	}
};

new frappe.perf_engine.HealthBlock(root_element).load();
