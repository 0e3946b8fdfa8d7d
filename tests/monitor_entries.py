"""Monitor entries shaped exactly as frappe.monitor.Monitor.store writes them."""

import json
import uuid
from datetime import datetime


def monitor_entry(
	kind: str,
	at: datetime,
	duration_s: float,
	name: str = "/api/method/ping",
	site: str = "s",
	entry_id: str | None = None,
) -> str:
	"""One request or job entry; Frappe serialises with sorted keys, no spaces and str() dates."""
	detail = (
		{"path": name, "method": "GET", "status_code": 200, "ip": "127.0.0.1"}
		if kind == "request"
		else {"method": name, "scheduled": False, "wait": 0}
	)
	entry = {
		"duration": int(duration_s * 1_000_000),
		"site": site,
		"timestamp": at,
		"transaction_type": kind,
		kind: detail,
		"uuid": entry_id or str(uuid.uuid4()),
	}
	return json.dumps(entry, sort_keys=True, default=str, separators=(",", ":"))
