// Health overview at the top of the Perf Engine workspace: one card per subsystem.
const COLOURS = { ok: "green", warning: "orange", critical: "red", unknown: "gray" };
const overall = root_element.querySelector(".health-overall");
const parts = root_element.querySelector(".health-parts");
frappe.call("perf_engine.api.get_health").then(({ message }) => {
	overall.innerHTML = `<span class="indicator-pill ${COLOURS[message.status]}">${__("Overall")}: ${__(message.status)}</span>`;
	parts.innerHTML = Object.entries(message.subsystems)
		.map(
			([name, part]) => `<div class="col-md-4 mb-2"><div class="frappe-card p-2">
				<b>${__(frappe.model.unscrub(name))}</b>
				<span class="indicator-pill ${COLOURS[part.status]} float-right">${__(part.status)}</span>
				<div class="small mt-1">${frappe.utils.escape_html(part.reason || "")}</div>
				<div class="small text-muted">${frappe.utils.escape_html(part.action || "")}</div>
			</div></div>`
		)
		.join("");
});
