// Health overview at the top of the Perf Engine workspace: one card per subsystem (with its
// measured checks, where it has them), then the production-readiness checklist line by line.
{% include "perf_engine/public/js/desk.js" %}

frappe.perf_engine.HealthBlock = class HealthBlock {
	static COLOURS = { ok: "green", warning: "orange", critical: "red", failing: "red", unknown: "gray" };
	static TITLES = {
		mariadb: "MariaDB",
		jobs: "Job Load",
		database: "Site Database",
		footprint: "perf_engine itself",
	};

	constructor(root) {
		this.overall = root.querySelector(".health-overall");
		this.parts = root.querySelector(".health-parts");
		this.readiness_overall = root.querySelector(".readiness-overall");
		this.readiness_lines = root.querySelector(".readiness-lines");
	}

	load() {
		frappe.call("perf_engine.api.get_health").then(({ message }) => this.render(message));
		frappe.call("perf_engine.api.readiness").then(({ message }) => this.render_readiness(message));
	}

	static pill(status) {
		return frappe.perf_engine.pill(HealthBlock.COLOURS[status] || "gray", __(status)).html;
	}

	render(health) {
		const { esc } = frappe.perf_engine;
		this.overall.innerHTML = `${esc(__("Overall"))}: ${HealthBlock.pill(health.status)}`;
		this.parts.innerHTML = Object.entries(health.subsystems)
			.map(
				([name, part]) => `<div class="col-md-4 mb-2"><div class="frappe-card p-2">
					<b>${esc(__(HealthBlock.TITLES[name] || frappe.model.unscrub(name)))}</b>
					<span class="float-right">${HealthBlock.pill(part.status)}</span>
					<div class="small mt-1">${esc(part.reason)}</div>
					<div class="small text-muted">${esc(part.action)}</div>
					${HealthBlock.checks(part.checks || [])}
				</div></div>`
			)
			.join("");
	}

	static checks(checks) {
		const { esc } = frappe.perf_engine;
		return checks
			.map(
				(check) => `<div class="small mt-1 perf-engine-check">${HealthBlock.pill(check.status)}
					${esc(check.reason)} <span class="text-muted">(${esc(check.threshold)})</span></div>`
			)
			.join("");
	}

	render_readiness(readiness) {
		const { esc } = frappe.perf_engine;
		this.readiness_overall.innerHTML = `${esc(__("Ready"))}: ${HealthBlock.pill(readiness.status)}`;
		this.readiness_lines.innerHTML = frappe.perf_engine.table(
			["Line", "Status", "Evidence", "Action"],
			readiness.lines.map((line) => [
				line.label,
				{ html: HealthBlock.pill(line.status) },
				line.evidence,
				line.action,
			])
		);
	}
};

new frappe.perf_engine.HealthBlock(root_element).load();
