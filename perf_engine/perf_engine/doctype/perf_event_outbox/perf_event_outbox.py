# Copyright (c) 2026, perf_engine developers and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document


class PerfEventOutbox(Document):
	"""A published event not yet enqueued; only `perf_engine.services.events` writes and deletes it, in SQL."""

	def validate(self) -> None:
		"""Refuse every save, Administrator's too: a hand-made or edited row would deliver what nobody published."""
		refuse()

	def on_trash(self) -> None:
		"""Refuse every delete: a row removed by hand is an event its subscribers never receive."""
		refuse()


def refuse() -> None:
	frappe.throw(
		_("Perf Event Outbox rows are written and removed by the event bus only"), frappe.PermissionError
	)
