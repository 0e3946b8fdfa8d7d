// Copyright (c) 2026, perf_engine developers and contributors
// For license information, please see license.txt

frappe.ui.form.on("Perf Engine Settings", {});
