"""A second OS process that reads through perf_engine's cache, for the bench tests of freshness.

    python -m perf_engine.tests.cache_reader SITE   (run from the bench's sites folder)

It connects to the site as Administrator and answers each JSON request on stdin with one
JSON line on stdout. Every request starts a fresh transaction, as a new web request would.
"""

import json
import sys

import frappe


def read(request: dict) -> dict:
	"""The amount of one document as get_cached_doc, get_cached_list and get_cached_report see it."""
	from perf_engine import cache

	doctype, name, report = request["doctype"], request["name"], request["report"]
	rows = cache.get_cached_report(report)["result"]
	return {
		"doc": cache.get_cached_doc(doctype, name)["amount"],
		"list": cache.get_cached_list(doctype, fields=["amount"], filters={"name": name})[0]["amount"],
		"report": next(row["amount"] for row in rows if row["name"] == name),
	}


def main(site: str) -> None:
	frappe.init(site=site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		for line in sys.stdin:
			frappe.db.rollback()
			print(json.dumps(read(json.loads(line))), flush=True)
	finally:
		frappe.destroy()


if __name__ == "__main__":
	main(sys.argv[1])
