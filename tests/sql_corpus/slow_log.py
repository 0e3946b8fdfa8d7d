"""Statements as a slow query log records them: literal values, the original line breaks and
indentation, comments, and text values that look like SQL or Markdown (backticks, quotes,
`#` and `;` inside strings). `tests/test_slow_log.py` also writes them into slow log files."""

from tests.sql_corpus.model import Case, Use

SI, SII, GLE, SLE = "tabSales Invoice", "tabSales Invoice Item", "tabGL Entry", "tabStock Ledger Entry"

CASES = [
	Case(
		"slow log: Sales Invoice list",
		"""select `tabSales Invoice`.`name`, `tabSales Invoice`.`customer`
			from `tabSales Invoice`
			where `tabSales Invoice`.`company` = 'Acme Ltd' and `tabSales Invoice`.`status` = 'Unpaid'
			 order by `tabSales Invoice`.`modified` DESC
			limit 20 offset 0""",
		Use(SI, eq=["company", "status"], order=["modified"]),
	),
	Case(
		"slow log: General Ledger with literal dates",
		"""select name as gl_entry, posting_date, account, debit, credit
		from `tabGL Entry`
		where company='Acme Ltd' and posting_date>='2024-04-01' and posting_date<='2025-03-31'
			and is_cancelled = 0 and party_type='Customer' and party in ('CUST-0001', 'CUST-0002')
		order by posting_date, account, creation""",
		Use(
			GLE,
			eq=["company", "is_cancelled", "party_type", "party"],
			rng=["posting_date"],
			order=["posting_date", "account", "creation"],
		),
	),
	Case(
		"slow log: stock ledger for update",
		"""select *, timestamp(posting_date, posting_time) as "timestamp"
			from `tabStock Ledger Entry`
			where item_code = 'ITEM-0001'
				and warehouse = 'Stores - AL'
				and is_cancelled = 0
				and posting_datetime < '2025-03-31 10:00:00.000000'
			order by posting_datetime desc, creation desc
			limit 1
			for update""",
		Use(
			SLE,
			eq=["item_code", "warehouse", "is_cancelled"],
			rng=["posting_datetime"],
			order=["posting_datetime", "creation"],
		),
	),
	Case(
		"slow log: comment with Markdown inside a string",
		"""INSERT INTO `tabComment` (`name`, `reference_doctype`, `reference_name`, `content`)
		VALUES ('c1f2a9', 'Task', 'TASK-0001', 'Fixed in `erpnext/stock`:
```sql
select * from `tabBin` where item_code = ''x'';
```
# Done; see the `bin` table')""",
	),
	Case(
		"slow log: update with Markdown and quotes",
		"""UPDATE `tabTask` SET `description` = 'Use `bench migrate` \\'now\\' -- not later
/* keep this */ # heading', `modified` = '2025-03-31 10:00:00.000000'
		WHERE `name` = 'TASK-0001'""",
		Use("tabTask", eq=["name"]),
	),
	Case(
		"slow log: where clause after a comment line",
		"""select name from `tabToDo`
			-- assigned to me
			where allocated_to = 'a@example.com' # open only
			and status = 'Open' /* newest first */ order by modified desc""",
		Use("tabToDo", eq=["allocated_to", "status"], order=["modified"]),
	),
	Case(
		"slow log: Sales Invoices with item join",
		"""SELECT si.name, si.posting_date, sii.item_code, sii.qty
		FROM `tabSales Invoice` si
		JOIN `tabSales Invoice Item` sii ON sii.parent = si.name
		WHERE si.docstatus = 1
		  AND si.posting_date BETWEEN '2025-01-01' AND '2025-03-31'
		  AND sii.item_group = 'Products'
		ORDER BY si.posting_date DESC""",
		Use(SI, eq=["docstatus"], rng=["posting_date"], join=["name"], order=["posting_date"]),
		Use(SII, eq=["item_group"], join=["parent"]),
	),
	Case(
		"slow log: error log clean-up",
		"""delete from `tabError Log` where modified < '2025-01-01 00:00:00.000000'""",
		Use("tabError Log", rng=["modified"]),
	),
	Case(
		"slow log: email queue batch",
		"""select
			name, sender
		from
			`tabEmail Queue`
		where
			(status='Not Sent' or status='Partially Sent') and
			(send_after is null or send_after < '2025-03-31 10:00:00.000000')
		order
			by priority desc, retry asc, creation asc
		limit 500""",
		Use("tabEmail Queue", eq=["status"], rng=["send_after"], order=["priority", "retry", "creation"]),
	),
	Case(
		"slow log: big IN list of names",
		"select name, outstanding_amount from `tabSales Invoice` where name in ("
		+ ", ".join(f"'SINV-{n:05d}'" for n in range(1, 401))
		+ ") and docstatus = 1",
		Use(SI, eq=["name", "docstatus"]),
	),
	Case(
		"slow log: numeric IN list",
		"select name from `tabGL Entry` where is_cancelled = 0 and idx in ("
		+ ", ".join(str(n) for n in range(1, 120))
		+ ")",
		Use(GLE, eq=["is_cancelled", "idx"]),
	),
	Case(
		"slow log: version history",
		"""select `name`, `data` from `tabVersion` where `ref_doctype` = 'Sales Invoice' and `docname` = 'SINV-00001'
			order by `creation` desc limit 10""",
		Use("tabVersion", eq=["ref_doctype", "docname"], order=["creation"]),
	),
	Case(
		"slow log: activity log per user",
		"""select `user`, count(*) as attempts from `tabActivity Log`
			where `status` = 'Failed' and `operation` = 'Login' and `creation` > '2025-03-01'
			group by `user` order by attempts desc""",
		Use("tabActivity Log", eq=["status", "operation"], rng=["creation"], group=["user"]),
	),
	Case(
		"slow log: permission query with user permissions",
		"""select `tabCustomer`.`name` from `tabCustomer`
			where `tabCustomer`.`disabled` = 0 and ((ifnull(`tabCustomer`.`territory`, '')='' or `tabCustomer`.`territory` in ('India', 'Rest Of The World')))
			order by `tabCustomer`.`modified` desc limit 20""",
		Use("tabCustomer", eq=["disabled"], order=["modified"], bad=["territory:or"]),
	),
	Case(
		"slow log: Bin projected quantities",
		"""select item_code, warehouse, projected_qty from tabBin where item_code in ('ITEM-0001', 'ITEM-0002')
			and warehouse = 'Stores - AL' and projected_qty < 0""",
		Use("tabBin", eq=["item_code", "warehouse"], rng=["projected_qty"]),
	),
	Case(
		"slow log: payment ledger outstanding",
		"""select against_voucher_no, sum(amount) as outstanding from `tabPayment Ledger Entry`
			where company = 'Acme Ltd' and party_type = 'Customer' and party = 'CUST-0001' and delinked = 0
			group by against_voucher_type, against_voucher_no having outstanding > 0""",
		Use(
			"tabPayment Ledger Entry",
			eq=["company", "party_type", "party", "delinked"],
			group=["against_voucher_type", "against_voucher_no"],
		),
	),
	Case(
		"slow log: notifications for a user",
		"""select name, subject, document_type, document_name from `tabNotification Log`
			where for_user = 'a@example.com' and `read` = 0 order by creation desc limit 20""",
		Use("tabNotification Log", eq=["for_user", "read"], order=["creation"]),
	),
	Case(
		"slow log: file by content hash",
		"""SELECT `name` FROM `tabFile` WHERE `content_hash`='6f1ed002ab5595859014ebf0951522d9' AND `is_private`=0 LIMIT 1""",
		Use("tabFile", eq=["content_hash", "is_private"]),
	),
	Case(
		"slow log: communication search",
		"""select name from `tabCommunication` where `subject` like '%%invoice%%' and communication_date > '2025-01-01'""",
		Use("tabCommunication", rng=["communication_date"], bad=["subject:wildcard"]),
	),
	Case(
		"slow log: stock balance by warehouse",
		"""select warehouse, sum(stock_value_difference) from `tabStock Ledger Entry`
			where company = 'Acme Ltd' and is_cancelled = 0 and posting_date <= '2025-03-31'
			group by warehouse""",
		Use(SLE, eq=["company", "is_cancelled"], rng=["posting_date"], group=["warehouse"]),
	),
	Case(
		"slow log: scheduled job log pruning",
		"""delete from `tabScheduled Job Log` where creation < '2025-01-01' and status = 'Complete' limit 10000""",
		Use("tabScheduled Job Log", eq=["status"], rng=["creation"]),
	),
	Case(
		"slow log: route history count",
		"""select count(*) from `tabRoute History` where user = 'a@example.com' and creation > '2025-03-01 00:00:00'""",
		Use("tabRoute History", eq=["user"], rng=["creation"]),
	),
	Case(
		"slow log: prepared reports queued",
		"""select name, report_name from `tabPrepared Report` where status in ('Queued', 'Started')
			and creation < now() - interval 6 hour""",
		Use("tabPrepared Report", eq=["status"], rng=["creation"]),
	),
	Case(
		"slow log: sales order items to deliver",
		"""select so.name, soi.item_code, soi.qty - soi.delivered_qty as pending
			from `tabSales Order` so inner join `tabSales Order Item` soi on soi.parent = so.name
			where so.docstatus = 1 and so.status in ('To Deliver', 'To Deliver and Bill')
			and soi.delivered_qty < soi.qty and so.delivery_date <= '2025-03-31'
			order by so.delivery_date""",
		Use(
			"tabSales Order",
			eq=["docstatus", "status"],
			rng=["delivery_date"],
			join=["name"],
			order=["delivery_date"],
		),
		Use("tabSales Order Item", join=["parent"]),
	),
	Case(
		"slow log: access log export",
		"""select name, user, timestamp from `tabAccess Log` where export_from = 'Sales Invoice'
			and `timestamp` between '2025-03-01' and '2025-03-31 23:59:59' order by `timestamp` desc""",
		Use("tabAccess Log", eq=["export_from"], rng=["timestamp"], order=["timestamp"]),
	),
	Case(
		"slow log: DocShare lookup",
		"""select `share_name` from `tabDocShare` where `share_doctype` = 'Project' and `user` = 'a@example.com' and `read` = 1""",
		Use("tabDocShare", eq=["share_doctype", "user", "read"]),
	),
	Case(
		"slow log: Has Role of a user",
		"""select `role` from `tabHas Role` where `parent` = 'a@example.com' and `parenttype` = 'User'""",
		Use("tabHas Role", eq=["parent", "parenttype"]),
	),
	Case(
		"slow log: global search",
		"""select doctype, name, content from __global_search where match(content) against ('"acme"' in boolean mode)
			and published = 1 limit 20""",
		Use("__global_search", eq=["published"]),
	),
	Case(
		"slow log: deferred revenue schedule",
		"""select name, start_date, end_date from `tabSales Invoice Item`
			where enable_deferred_revenue = 1 and docstatus = 1 and service_end_date >= '2025-03-01'
			and (service_stop_date is null or service_stop_date > '2025-03-01')""",
		Use(SII, eq=["enable_deferred_revenue", "docstatus"], rng=["service_end_date", "service_stop_date"]),
	),
]
