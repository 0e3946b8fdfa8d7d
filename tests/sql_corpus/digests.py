"""performance_schema digest text, as `events_statements_summary_by_digest` shows it: literals
as `?`, value lists as `(...)` (or `( ? , ... )`), names backquoted, every token spaced out
(`` `t` . `c` ``, `NOW ( )`), multi-row inserts with a `/* , ... */` comment."""

from tests.sql_corpus.model import Case, Use

SI, GLE, SLE = "tabSales Invoice", "tabGL Entry", "tabStock Ledger Entry"

CASES = [
	Case(
		"digest: ToDo list",
		"SELECT `name` FROM `tabToDo` WHERE `tabToDo` . `status` = ? AND `tabToDo` . `allocated_to` = ? "
		"ORDER BY `tabToDo` . `modified` DESC LIMIT ? OFFSET ?",
		Use("tabToDo", eq=["status", "allocated_to"], order=["modified"]),
	),
	Case(
		"digest: ToDo list with a value list",
		"SELECT `name` FROM `tabToDo` WHERE `tabToDo` . `status` IN (...) AND `tabToDo` . `date` >= ? "
		"ORDER BY `tabToDo` . `modified` DESC LIMIT ? OFFSET ?",
		Use("tabToDo", eq=["status"], rng=["date"], order=["modified"]),
	),
	Case(
		"digest: value list in the older spelled-out form",
		"SELECT `name` FROM `tabToDo` WHERE `status` IN ( ? , ... ) AND `priority` = ?",
		Use("tabToDo", eq=["status", "priority"]),
	),
	Case(
		"digest: ifnull from a Frappe 'is not set' filter",
		"SELECT `tabToDo` . `name` FROM `tabToDo` WHERE IFNULL ( `tabToDo` . `allocated_to` , ? ) = ? "
		"AND `tabToDo` . `priority` IN (...) ORDER BY `tabToDo` . `modified` DESC",
		Use("tabToDo", eq=["priority"], order=["modified"], bad=["allocated_to:function"]),
	),
	Case(
		"digest: frappe.db.get_value",
		"SELECT `enabled` FROM `tabUser` WHERE `name` = ? ORDER BY `modified` DESC LIMIT ?",
		Use("tabUser", eq=["name"], order=["modified"]),
	),
	Case(
		"digest: frappe.db.count",
		"SELECT COUNT ( * ) FROM `tabNotification Log` WHERE `for_user` = ? AND `read` = ?",
		Use("tabNotification Log", eq=["for_user", "read"]),
	),
	Case(
		"digest: date arithmetic",
		"DELETE FROM `tabError Log` WHERE `creation` < NOW ( ) - INTERVAL ? DAY",
		Use("tabError Log", rng=["creation"]),
	),
	Case(
		"digest: OR of different columns",
		"SELECT `name` FROM `tabError Log` WHERE `creation` < NOW ( ) - INTERVAL ? DAY OR `seen` = ?",
		Use("tabError Log", bad=["creation:or", "seen:or"]),
	),
	Case(
		"digest: Sales Invoice report over the last days",
		"SELECT `name` , `customer` , `grand_total` FROM `tabSales Invoice` WHERE `customer` = ? AND `company` = ? "
		"AND `docstatus` = ? AND `posting_date` >= CURDATE ( ) - INTERVAL ? DAY ORDER BY `posting_date` DESC",
		Use(SI, eq=["customer", "company", "docstatus"], rng=["posting_date"], order=["posting_date"]),
	),
	Case(
		"digest: General Ledger",
		"SELECT `name` AS `gl_entry` , `posting_date` , `account` , `debit` , `credit` FROM `tabGL Entry` "
		"WHERE `company` = ? AND `posting_date` >= ? AND `posting_date` <= ? AND `is_cancelled` = ? "
		"AND `account` IN (...) ORDER BY `posting_date` , `account` , `creation`",
		Use(
			GLE,
			eq=["company", "is_cancelled", "account"],
			rng=["posting_date"],
			order=["posting_date", "account", "creation"],
		),
	),
	Case(
		"digest: Stock Ledger with a join",
		"SELECT `sle` . `item_code` , `sle` . `actual_qty` FROM `tabStock Ledger Entry` `sle` "
		"INNER JOIN `tabItem` `item` ON `sle` . `item_code` = `item` . `name` WHERE `sle` . `is_cancelled` = ? "
		"AND `sle` . `posting_date` <= ? AND `item` . `item_group` = ? ORDER BY `sle` . `posting_date` , `sle` . `posting_time`",
		Use(
			SLE,
			eq=["is_cancelled"],
			rng=["posting_date"],
			join=["item_code"],
			order=["posting_date", "posting_time"],
		),
		Use("tabItem", eq=["item_group"], join=["name"]),
	),
	Case(
		"digest: previous stock ledger entry for update",
		"SELECT * , TIMESTAMP ( `posting_date` , `posting_time` ) AS `timestamp` FROM `tabStock Ledger Entry` "
		"WHERE `item_code` = ? AND `warehouse` = ? AND `is_cancelled` = ? AND `posting_datetime` < ? "
		"ORDER BY `posting_datetime` DESC , `creation` DESC LIMIT ? FOR UPDATE",
		Use(
			SLE,
			eq=["item_code", "warehouse", "is_cancelled"],
			rng=["posting_datetime"],
			order=["posting_datetime", "creation"],
		),
	),
	Case(
		"digest: update Bin",
		"UPDATE `tabBin` SET `reserved_qty` = ? , `projected_qty` = ? , `modified` = ? "
		"WHERE `item_code` = ? AND `warehouse` = ?",
		Use("tabBin", eq=["item_code", "warehouse"]),
	),
	Case(
		"digest: insert with several rows",
		"INSERT INTO `tabVersion` ( `name` , `creation` , `ref_doctype` , `docname` , `data` ) VALUES (...) /* , ... */",
	),
	Case(
		"digest: insert ... select",
		"INSERT INTO `tabError Log_temp` SELECT * FROM `tabError Log` WHERE `tabError Log` . `modified` > NOW ( ) - INTERVAL ? DAY",
		Use("tabError Log", rng=["modified"]),
	),
	Case(
		"digest: LIKE with an unknown pattern",
		"SELECT `name` , `item_name` FROM `tabItem` WHERE `disabled` = ? AND `item_name` LIKE ? ORDER BY `idx` DESC LIMIT ?",
		Use("tabItem", eq=["disabled"], order=["idx"]),
	),
	Case(
		"digest: IN subquery",
		"SELECT `name` FROM `tabToDo` WHERE `reference_type` = ? AND `reference_name` IN "
		"( SELECT `name` FROM `tabTask` WHERE `status` = ? AND `project` = ? )",
		Use("tabToDo", eq=["reference_type", "reference_name"]),
		Use("tabTask", eq=["status", "project"]),
	),
	Case(
		"digest: EXISTS correlated",
		"SELECT `dn` . `name` FROM `tabDelivery Note` `dn` WHERE `dn` . `docstatus` = ? AND EXISTS "
		"( SELECT ? FROM `tabDelivery Note Item` `dni` WHERE `dni` . `parent` = `dn` . `name` AND `dni` . `item_code` = ? )",
		Use("tabDelivery Note", eq=["docstatus"]),
		Use("tabDelivery Note Item", eq=["parent", "item_code"]),
	),
	Case(
		"digest: UNION of two lists",
		"SELECT `name` FROM `tabCommunication` WHERE `reference_doctype` = ? AND `reference_name` = ? UNION "
		"SELECT `parent` FROM `tabCommunication Link` WHERE `link_doctype` = ? AND `link_name` = ?",
		Use("tabCommunication", eq=["reference_doctype", "reference_name"]),
		Use("tabCommunication Link", eq=["link_doctype", "link_name"]),
	),
	Case(
		"digest: grouped counts",
		"SELECT `status` , COUNT ( * ) AS COUNT FROM `tabToDo` WHERE `allocated_to` = ? GROUP BY `status` ORDER BY COUNT DESC",
		Use("tabToDo", eq=["allocated_to"], group=["status"]),
	),
	Case(
		"digest: between",
		"SELECT `name` FROM `tabAttendance` WHERE `employee` = ? AND `attendance_date` BETWEEN ? AND ?",
		Use("tabAttendance", eq=["employee"], rng=["attendance_date"]),
	),
	Case(
		"digest: negative literal",
		"SELECT `name` FROM `tabStock Ledger Entry` WHERE `actual_qty` < - ? AND `voucher_type` = ?",
		Use(SLE, eq=["voucher_type"], rng=["actual_qty"]),
	),
	Case(
		"digest: IS NULL and NOT IN",
		"SELECT `name` FROM `tabSerial No` WHERE `warehouse` IS NULL AND `status` NOT IN (...) AND `item_code` = ?",
		Use("tabSerial No", eq=["warehouse", "item_code"]),
	),
	Case(
		"digest: date function on the column",
		"SELECT `name` FROM `tabOpportunity` WHERE DATE ( `creation` ) = ? AND `company` = ?",
		Use("tabOpportunity", eq=["company"], bad=["creation:function"]),
	),
	Case(
		"digest: leading wildcard literal kept by the digest",
		"SELECT `name` FROM `tabContact` WHERE `email_id` LIKE '%@example.com' AND `status` = ?",
		Use("tabContact", eq=["status"], bad=["email_id:wildcard"]),
	),
	Case(
		"digest: derived table",
		"SELECT `t` . `customer` FROM ( SELECT `customer` , SUM ( `grand_total` ) AS `total` FROM `tabSales Invoice` "
		"WHERE `docstatus` = ? AND `posting_date` >= ? GROUP BY `customer` ) `t` WHERE `t` . `total` > ?",
		Use(SI, eq=["docstatus"], rng=["posting_date"], group=["customer"]),
	),
	Case(
		"digest: left join child table",
		"SELECT DISTINCT `tabSales Invoice` . `name` FROM `tabSales Invoice` LEFT JOIN `tabSales Invoice Item` "
		"ON ( `tabSales Invoice Item` . `parent` = `tabSales Invoice` . `name` ) WHERE `tabSales Invoice Item` . `item_code` = ? "
		"ORDER BY `tabSales Invoice` . `posting_date` DESC LIMIT ? OFFSET ?",
		Use(SI, order=["posting_date"]),
		Use("tabSales Invoice Item", eq=["parent", "item_code"]),
	),
	Case(
		"digest: delete with order and limit",
		"DELETE FROM `tabRoute History` WHERE `creation` < ? ORDER BY `creation` LIMIT ?",
		Use("tabRoute History", rng=["creation"], order=["creation"]),
	),
	Case(
		"digest: qualified with a schema",
		"SELECT `name` FROM `_f2b0d858f979acc4` . `tabToDo` WHERE `status` = ?",
		Use("tabToDo", eq=["status"]),
	),
	Case(
		"digest: select for update by name",
		"SELECT `name` FROM `tabSeries` WHERE `name` = ? FOR UPDATE",
		Use("tabSeries", eq=["name"]),
	),
]
