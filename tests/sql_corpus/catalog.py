"""Columns of Frappe 15.44.2's own tables, read from a fresh site's information_schema
(`frappe_catalog.json`): the catalog the corpus checks columns against. ERPNext tables have
none here, so their cases also cover reading without a catalog."""

import json
from pathlib import Path

CATALOG: dict[str, set[str]] = {
	table: set(columns)
	for table, columns in json.loads((Path(__file__).parent / "frappe_catalog.json").read_text()).items()
}
