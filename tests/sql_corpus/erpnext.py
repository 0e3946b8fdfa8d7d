"""ERPNext-shaped list and report queries: Sales Invoice lists with user permissions, General
Ledger, receivables, stock ledger and balance, sales and purchase registers, gross profit,
bins and serial numbers, written the way ERPNext v15's reports and controllers build them."""

from tests.sql_corpus.model import Case, Use

SI, SII, GLE, SLE = "tabSales Invoice", "tabSales Invoice Item", "tabGL Entry", "tabStock Ledger Entry"

CASES = [
	Case(
		"Sales Invoice list, default sort",
		"""select `tabSales Invoice`.`name`, `tabSales Invoice`.`customer`, `tabSales Invoice`.`grand_total`
			from `tabSales Invoice`
			where `tabSales Invoice`.`docstatus` = 1 and `tabSales Invoice`.`company` = 'Acme Ltd'
			 order by `tabSales Invoice`.`posting_date` DESC
			limit 20 offset 0""",
		Use(SI, eq=["docstatus", "company"], order=["posting_date"]),
	),
	Case(
		"Sales Invoice list, user permissions on company and customer",
		"""select `tabSales Invoice`.`name`
			from `tabSales Invoice`
			where `tabSales Invoice`.`status` = 'Overdue'
			and (((ifnull(`tabSales Invoice`.`company`, '')='' or `tabSales Invoice`.`company` in ('Acme Ltd'))
			and (ifnull(`tabSales Invoice`.`customer`, '')='' or `tabSales Invoice`.`customer` in ('CUST-0001', 'CUST-0002'))))
			 order by `tabSales Invoice`.`modified` DESC
			limit 20 offset 0""",
		Use(SI, eq=["status"], order=["modified"], bad=["company:or", "customer:or"]),
	),
	Case(
		"Sales Invoice list, strict user permissions",
		"""select `tabSales Invoice`.`name`
			from `tabSales Invoice`
			where `tabSales Invoice`.`docstatus` < 2
			and ((`tabSales Invoice`.`company` in ('Acme Ltd') and `tabSales Invoice`.`cost_center` in ('Main - AL')))
			 order by `tabSales Invoice`.`modified` DESC
			limit 20 offset 0""",
		Use(SI, eq=["company", "cost_center"], rng=["docstatus"], order=["modified"]),
	),
	Case(
		"Sales Invoice list filtered by a child table field",
		"""select distinct `tabSales Invoice`.`name`, `tabSales Invoice`.`posting_date`
			from `tabSales Invoice`
			left join `tabSales Invoice Item` on (`tabSales Invoice Item`.parent = `tabSales Invoice`.name)
			where `tabSales Invoice Item`.`item_code` = 'ITEM-0001' and `tabSales Invoice`.`docstatus` = 1
			 order by `tabSales Invoice`.`posting_date` DESC
			limit 20 offset 0""",
		Use(SI, eq=["docstatus"], order=["posting_date"]),
		Use(SII, eq=["parent", "item_code"]),
	),
	Case(
		"Sales Invoice list, shared documents OR-ed with permissions",
		"""select `tabSales Invoice`.`name` from `tabSales Invoice`
			where `tabSales Invoice`.`docstatus` = 0
			and (((`tabSales Invoice`.`owner` = 'a@example.com')) or (`tabSales Invoice`.name in ('SINV-0009')))
			 order by `tabSales Invoice`.`modified` DESC limit 20 offset 0""",
		Use(SI, eq=["docstatus"], order=["modified"], bad=["owner:or", "name:or"]),
	),
	Case(
		"Sales Invoice list count",
		"""select count(`tabSales Invoice`.`name`) as total_count from `tabSales Invoice`
			where `tabSales Invoice`.`customer` = 'CUST-0001' and `tabSales Invoice`.`posting_date` >= '2024-04-01'""",
		Use(SI, eq=["customer"], rng=["posting_date"]),
	),
	Case(
		"Sales Invoice sidebar group-by counts",
		"""select `tabSales Invoice`.`status` as name, count(*) as count from `tabSales Invoice`
			where `tabSales Invoice`.`company` = 'Acme Ltd'
			group by `tabSales Invoice`.`status` order by count desc limit 50""",
		Use(SI, eq=["company"], group=["status"]),
	),
	Case(
		"Sales Invoice report view with a date range over the last 30 days",
		"""select name, customer, grand_total from `tabSales Invoice`
			where customer = 'CUST-0001' and company = 'Acme Ltd' and docstatus = 1
			and posting_date >= CURDATE() - INTERVAL 30 DAY
			order by posting_date desc""",
		Use(SI, eq=["customer", "company", "docstatus"], rng=["posting_date"], order=["posting_date"]),
	),
	Case(
		"Sales Invoice range in parentheses",
		"""select name from `tabSales Invoice`
			where (customer = 'CUST-0001') and ((posting_date between '2024-04-01' and '2025-03-31')) and (docstatus = 1)""",
		Use(SI, eq=["customer", "docstatus"], rng=["posting_date"]),
	),
	Case(
		"General Ledger report",
		"""
		select
			name as gl_entry, posting_date, account, party_type, party,
			voucher_type, voucher_subtype, voucher_no, debit, credit,
			cost_center, project, against_voucher_type, against_voucher, account_currency,
			against, is_opening, creation
		from `tabGL Entry`
		where company=%(company)s and posting_date>=%(from_date)s and posting_date<=%(to_date)s
			and is_cancelled = 0 and account in ('Debtors - AL', 'Creditors - AL')
			and party_type=%(party_type)s and party in ('CUST-0001')
		order by posting_date, account, creation""",
		Use(
			GLE,
			eq=["company", "is_cancelled", "account", "party_type", "party"],
			rng=["posting_date"],
			order=["posting_date", "account", "creation"],
		),
	),
	Case(
		"General Ledger opening balance",
		"""select account, sum(debit) as debit, sum(credit) as credit, sum(debit_in_account_currency) as debit_in_account_currency
			from `tabGL Entry`
			where company = 'Acme Ltd' and is_cancelled = 0 and (posting_date < '2024-04-01' or (is_opening = 'Yes' and posting_date <= '2025-03-31'))
			group by account""",
		Use(GLE, eq=["company", "is_cancelled"], group=["account"], bad=["posting_date:or", "is_opening:or"]),
	),
	Case(
		"General Ledger grouped by voucher",
		"""select voucher_type, voucher_no, sum(debit) - sum(credit) as balance from `tabGL Entry`
			where company = 'Acme Ltd' and posting_date between '2024-04-01' and '2025-03-31' and is_cancelled = 0
			group by voucher_type, voucher_no
			order by posting_date""",
		Use(
			GLE,
			eq=["company", "is_cancelled"],
			rng=["posting_date"],
			order=["posting_date"],
			group=["voucher_type", "voucher_no"],
		),
	),
	Case(
		"Trial Balance account totals (join on lft/rgt)",
		"""select acc.name, sum(gle.debit) as debit, sum(gle.credit) as credit
			from `tabAccount` acc
			inner join `tabGL Entry` gle on gle.account = acc.name
			where acc.company = 'Acme Ltd' and acc.lft >= 10 and acc.rgt <= 200
			and gle.posting_date between '2024-04-01' and '2025-03-31' and gle.is_cancelled = 0
			group by acc.name""",
		Use("tabAccount", eq=["company"], rng=["lft", "rgt"], join=["name"], group=["name"]),
		Use(GLE, eq=["is_cancelled"], rng=["posting_date"], join=["account"]),
	),
	Case(
		"Account balance with a correlated subquery over the tree",
		"""select sum(debit) - sum(credit) from `tabGL Entry` gle
			where exists (select name from `tabAccount` ac where ac.name = gle.account and ac.lft >= 5 and ac.rgt <= 50)
			and gle.posting_date <= '2025-03-31' and gle.company = 'Acme Ltd' and gle.is_cancelled = 0""",
		Use(GLE, eq=["company", "is_cancelled"], rng=["posting_date"]),
		Use("tabAccount", eq=["name"], rng=["lft", "rgt"]),
	),
	Case(
		"Payment Ledger outstanding per voucher",
		"""select voucher_type, voucher_no, sum(amount) as outstanding from `tabPayment Ledger Entry`
			where company = 'Acme Ltd' and party_type = 'Customer' and party = 'CUST-0001' and delinked = 0
			and account in ('Debtors - AL') and posting_date <= '2025-03-31'
			group by against_voucher_type, against_voucher_no
			having outstanding > 0""",
		Use(
			"tabPayment Ledger Entry",
			eq=["company", "party_type", "party", "delinked", "account"],
			rng=["posting_date"],
			group=["against_voucher_type", "against_voucher_no"],
		),
	),
	Case(
		"Accounts Receivable future payments",
		"""select name, party, paid_amount, reference_date from `tabPayment Entry`
			where docstatus = 1 and party_type = 'Customer' and posting_date <= '2025-03-31'
			and reference_date > '2025-03-31' and (unallocated_amount > 0 or paid_amount > 0)""",
		Use(
			"tabPayment Entry",
			eq=["docstatus", "party_type"],
			rng=["posting_date", "reference_date"],
			bad=["unallocated_amount:or", "paid_amount:or"],
		),
	),
	Case(
		"Sales Register invoices",
		"""select name, posting_date, customer, customer_name, base_net_total, base_grand_total, outstanding_amount
			from `tabSales Invoice`
			where docstatus = 1 and company = 'Acme Ltd' and posting_date >= '2024-04-01' and posting_date <= '2025-03-31'
			and customer = 'CUST-0001' and mode_of_payment is null
			order by posting_date desc, name desc""",
		Use(
			SI,
			eq=["docstatus", "company", "customer", "mode_of_payment"],
			rng=["posting_date"],
			order=["posting_date", "name"],
		),
	),
	Case(
		"Sales Register income accounts per invoice",
		"""select distinct parent, income_account from `tabSales Invoice Item`
			where parent in ('SINV-0001', 'SINV-0002', 'SINV-0003') order by income_account""",
		Use(SII, eq=["parent"], order=["income_account"]),
	),
	Case(
		"Item-wise Sales Register",
		"""select `tabSales Invoice Item`.name, `tabSales Invoice Item`.parent, `tabSales Invoice`.posting_date,
				`tabSales Invoice`.customer, `tabSales Invoice Item`.item_code, `tabSales Invoice Item`.base_net_amount
			from `tabSales Invoice`, `tabSales Invoice Item`, `tabItem`
			where `tabSales Invoice`.name = `tabSales Invoice Item`.parent
				and `tabItem`.name = `tabSales Invoice Item`.item_code
				and `tabSales Invoice`.docstatus = 1 and `tabSales Invoice`.company = 'Acme Ltd'
				and `tabSales Invoice`.posting_date between '2024-04-01' and '2025-03-31'
				and `tabItem`.item_group = 'Products'
			order by `tabSales Invoice`.posting_date desc, `tabSales Invoice Item`.item_code desc""",
		# ORDER BY a column of each of two tables: a filesort, no sort column
		Use(SI, eq=["docstatus", "company"], rng=["posting_date"], join=["name"]),
		Use(SII, join=["parent", "item_code"]),
		Use("tabItem", eq=["item_group"], join=["name"]),
	),
	Case(
		"Gross Profit (invoice items with returns)",
		"""select
				`tabSales Invoice`.name as parent, `tabSales Invoice Item`.name as item_row,
				`tabSales Invoice`.posting_date, `tabSales Invoice Item`.item_code, `tabSales Invoice Item`.stock_qty,
				`tabSales Invoice Item`.base_net_amount, `tabSales Invoice`.is_return
			from
				`tabSales Invoice` inner join `tabSales Invoice Item`
					on `tabSales Invoice Item`.parent = `tabSales Invoice`.name
			where
				`tabSales Invoice`.docstatus = 1 and `tabSales Invoice`.is_opening != 'Yes'
				and `tabSales Invoice`.company = %(company)s
				and `tabSales Invoice`.posting_date >= %(from_date)s and `tabSales Invoice`.posting_date <= %(to_date)s
			order by
				`tabSales Invoice`.posting_date desc, `tabSales Invoice`.posting_time desc""",
		Use(
			SI,
			eq=["docstatus", "company"],
			rng=["posting_date"],
			join=["name"],
			order=["posting_date", "posting_time"],
		),
		Use(SII, join=["parent"]),
	),
	Case(
		"Purchase Register",
		"""select name, posting_date, supplier, bill_no, base_grand_total from `tabPurchase Invoice`
			where docstatus = 1 and company = 'Acme Ltd' and posting_date between '2024-04-01' and '2025-03-31'
			and supplier = 'SUP-0001'
			order by posting_date desc, name desc""",
		Use(
			"tabPurchase Invoice",
			eq=["docstatus", "company", "supplier"],
			rng=["posting_date"],
			order=["posting_date", "name"],
		),
	),
	Case(
		"Stock Ledger report",
		"""select
				concat_ws(' ', posting_date, posting_time) as date, item_code, warehouse,
				actual_qty, qty_after_transaction, incoming_rate, valuation_rate, stock_value,
				voucher_type, voucher_no, batch_no, serial_no, company, project, stock_value_difference
			from `tabStock Ledger Entry` sle
			where company = 'Acme Ltd' and posting_date between '2024-04-01' and '2025-03-31'
				and is_cancelled = 0 and item_code in ('ITEM-0001') and warehouse = 'Stores - AL'
			order by posting_date asc, posting_time asc, creation asc""",
		Use(
			SLE,
			eq=["company", "is_cancelled", "item_code", "warehouse"],
			rng=["posting_date"],
			order=["posting_date", "posting_time", "creation"],
		),
	),
	Case(
		"Stock Balance entries with item join",
		"""select
				sle.item_code, sle.warehouse, sle.posting_date, sle.actual_qty, sle.valuation_rate,
				sle.company, sle.voucher_type, sle.qty_after_transaction, sle.stock_value_difference
			from
				`tabStock Ledger Entry` sle
			inner join `tabItem` item on sle.item_code = item.name
			where
				sle.docstatus < 2 and sle.is_cancelled = 0 and sle.posting_date <= '2025-03-31'
				and sle.company = 'Acme Ltd' and item.item_group = 'Raw Material'
			order by
				sle.posting_date, sle.posting_time, sle.creation, sle.actual_qty""",
		Use(
			SLE,
			eq=["is_cancelled", "company"],
			rng=["docstatus", "posting_date"],
			join=["item_code"],
			order=["posting_date", "posting_time", "creation", "actual_qty"],
		),
		Use("tabItem", eq=["item_group"], join=["name"]),
	),
	Case(
		"Previous stock ledger entry (posting datetime tuple)",
		"""select *, timestamp(posting_date, posting_time) as "timestamp"
			from `tabStock Ledger Entry`
			where item_code = 'ITEM-0001' and warehouse = 'Stores - AL' and is_cancelled = 0
			and (posting_date, posting_time) < ('2025-03-31', '10:00:00')
			order by posting_date desc, posting_time desc, creation desc
			limit 1
			for update""",
		Use(
			SLE,
			eq=["item_code", "warehouse", "is_cancelled"],
			order=["posting_date", "posting_time", "creation"],
		),
	),
	Case(
		"Future stock ledger entries by posting datetime",
		"""select name, posting_date, posting_time from `tabStock Ledger Entry`
			where item_code = 'ITEM-0001' and warehouse = 'Stores - AL' and is_cancelled = 0
			and posting_datetime > '2025-03-31 10:00:00'
			order by posting_datetime asc, creation asc""",
		Use(
			SLE,
			eq=["item_code", "warehouse", "is_cancelled"],
			rng=["posting_datetime"],
			order=["posting_datetime", "creation"],
		),
	),
	Case(
		"Stock value at a date",
		"""select sum(stock_value_difference) from `tabStock Ledger Entry`
			where warehouse = 'Stores - AL' and posting_date <= '2025-03-31' and is_cancelled = 0""",
		Use(SLE, eq=["warehouse", "is_cancelled"], rng=["posting_date"]),
	),
	Case(
		"Batch-wise balance",
		"""select batch_no, item_code, warehouse, sum(actual_qty) as actual_qty
			from `tabStock Ledger Entry`
			where is_cancelled = 0 and docstatus < 2 and ifnull(batch_no, '') != ''
			and posting_date <= '2025-03-31' and company = 'Acme Ltd'
			group by batch_no, item_code, warehouse
			order by item_code, warehouse""",
		Use(
			SLE,
			eq=["is_cancelled", "company"],
			rng=["docstatus", "posting_date"],
			order=["item_code", "warehouse"],
			group=["batch_no", "item_code", "warehouse"],
		),
	),
	Case(
		"Bin projected quantity",
		"""select item_code, warehouse, actual_qty, reserved_qty, ordered_qty, projected_qty from `tabBin`
			where item_code = 'ITEM-0001' and warehouse in ('Stores - AL', 'Finished Goods - AL')""",
		Use("tabBin", eq=["item_code", "warehouse"]),
	),
	Case(
		"Bin update for one item and warehouse",
		"""update `tabBin` set reserved_qty = 5, projected_qty = 10, modified = '2025-03-31 10:00:00'
			where item_code = 'ITEM-0001' and warehouse = 'Stores - AL'""",
		Use("tabBin", eq=["item_code", "warehouse"]),
	),
	Case(
		"Reserved quantity from open Sales Orders",
		"""select sum(so_item.stock_qty - so_item.delivered_qty * so_item.conversion_factor)
			from `tabSales Order Item` so_item, `tabSales Order` so
			where so_item.item_code = 'ITEM-0001' and so_item.warehouse = 'Stores - AL'
			and so_item.parent = so.name and so.docstatus = 1 and so.status not in ('On Hold', 'Closed')""",
		Use("tabSales Order Item", eq=["item_code", "warehouse"], join=["parent"]),
		Use("tabSales Order", eq=["docstatus"], join=["name"]),
	),
	Case(
		"Serial numbers available in a warehouse",
		"""select name from `tabSerial No`
			where item_code = 'ITEM-0001' and warehouse = 'Stores - AL' and status = 'Active'
			and (batch_no is null or batch_no = '')
			order by creation limit 10""",
		Use("tabSerial No", eq=["item_code", "warehouse", "status", "batch_no"], order=["creation"]),
	),
	Case(
		"Pending Delivery Notes to bill",
		"""select dn.name, dn.customer, dn.posting_date from `tabDelivery Note` dn
			where dn.docstatus = 1 and dn.status not in ('Stopped', 'Closed') and dn.is_return = 0
			and dn.per_billed < 100 and dn.company = 'Acme Ltd'
			and exists (select 1 from `tabDelivery Note Item` dni where dni.parent = dn.name and dni.against_sales_order is not null)
			order by dn.posting_date desc""",
		Use(
			"tabDelivery Note",
			eq=["docstatus", "is_return", "company"],
			rng=["per_billed"],
			order=["posting_date"],
		),
		Use("tabDelivery Note Item", eq=["parent"]),
	),
	Case(
		"Sales Orders to deliver and bill",
		"""select name, customer, delivery_date from `tabSales Order`
			where docstatus = 1 and status in ('To Deliver and Bill', 'To Deliver') and company = 'Acme Ltd'
			and delivery_date <= curdate()
			order by delivery_date""",
		Use(
			"tabSales Order",
			eq=["docstatus", "status", "company"],
			rng=["delivery_date"],
			order=["delivery_date"],
		),
	),
	Case(
		"Customer credit limit: outstanding across invoices",
		"""select sum(outstanding_amount) from `tabSales Invoice`
			where customer = 'CUST-0001' and company = 'Acme Ltd' and docstatus = 1 and outstanding_amount > 0""",
		Use(SI, eq=["customer", "company", "docstatus"], rng=["outstanding_amount"]),
	),
	Case(
		"Unbilled Sales Orders for a customer",
		"""select sum(base_grand_total * (100 - per_billed) / 100) from `tabSales Order`
			where customer = 'CUST-0001' and docstatus = 1 and company = 'Acme Ltd'
			and per_billed < 100 and status != 'Closed'""",
		Use("tabSales Order", eq=["customer", "docstatus", "company"], rng=["per_billed"]),
	),
	Case(
		"Party account of a customer",
		"""select account from `tabParty Account`
			where parenttype = 'Customer' and parent = 'CUST-0001' and company = 'Acme Ltd'""",
		Use("tabParty Account", eq=["parenttype", "parent", "company"]),
	),
	Case(
		"Item price lookup",
		"""select name, price_list_rate, uom from `tabItem Price`
			where item_code = 'ITEM-0001' and price_list = 'Standard Selling'
			and ifnull(customer, '') in ('', 'CUST-0001') and ifnull(uom, '') in ('', 'Nos')
			and (valid_from <= '2025-03-31' or valid_from is null)
			and (valid_upto >= '2025-03-31' or valid_upto is null)
			order by valid_from desc, batch_no desc, uom desc""",
		Use(
			"tabItem Price",
			eq=["item_code", "price_list"],
			rng=["valid_from", "valid_upto"],
			order=["valid_from", "batch_no", "uom"],
			bad=["customer:function", "uom:function"],
		),
	),
	Case(
		"Pricing rules applicable to an item",
		"""select `tabPricing Rule`.* from `tabPricing Rule`, `tabPricing Rule Item Code` child
			where child.parent = `tabPricing Rule`.name and child.item_code = 'ITEM-0001'
			and `tabPricing Rule`.disable = 0 and `tabPricing Rule`.selling = 1
			and `tabPricing Rule`.company in ('Acme Ltd', '')
			and ifnull(`tabPricing Rule`.valid_from, '2000-01-01') <= '2025-03-31'
			order by `tabPricing Rule`.priority desc, `tabPricing Rule`.name desc""",
		Use(
			"tabPricing Rule",
			eq=["disable", "selling", "company"],
			join=["name"],
			order=["priority", "name"],
			bad=["valid_from:function"],
		),
		Use("tabPricing Rule Item Code", eq=["item_code"], join=["parent"]),
	),
	Case(
		"Journal Entry accounts of a party",
		"""select jea.parent, jea.debit_in_account_currency, jea.credit_in_account_currency
			from `tabJournal Entry Account` jea inner join `tabJournal Entry` je on je.name = jea.parent
			where je.docstatus = 1 and jea.party_type = 'Customer' and jea.party = 'CUST-0001'
			and ifnull(jea.reference_name, '') = '' and je.posting_date <= '2025-03-31'""",
		Use(
			"tabJournal Entry Account",
			eq=["party_type", "party"],
			join=["parent"],
			bad=["reference_name:function"],
		),
		Use("tabJournal Entry", eq=["docstatus"], rng=["posting_date"], join=["name"]),
	),
	Case(
		"Payment Entry references of invoices",
		"""select per.reference_name, sum(per.allocated_amount) from `tabPayment Entry Reference` per
			where per.reference_doctype = 'Sales Invoice' and per.reference_name in ('SINV-0001', 'SINV-0002')
			and per.docstatus = 1
			group by per.reference_name""",
		Use(
			"tabPayment Entry Reference",
			eq=["reference_doctype", "reference_name", "docstatus"],
			group=["reference_name"],
		),
	),
	Case(
		"Repost Item Valuation queue",
		"""select name, voucher_type, voucher_no from `tabRepost Item Valuation`
			where status in ('Queued', 'In Progress') and creation <= '2025-03-31 10:00:00' and docstatus = 1
			order by timestamp(posting_date, posting_time) asc, creation asc, status asc""",
		Use(
			"tabRepost Item Valuation",
			eq=["status", "docstatus"],
			rng=["creation"],  # ORDER BY timestamp(...), creation, status: a filesort
		),
	),
	Case(
		"Stock entry details for a work order",
		"""select sed.item_code, sum(sed.transfer_qty) as qty from `tabStock Entry` se, `tabStock Entry Detail` sed
			where se.name = sed.parent and se.docstatus = 1 and se.work_order = 'WO-0001'
			and se.purpose = 'Material Transfer for Manufacture' and sed.t_warehouse is not null
			group by sed.item_code""",
		Use("tabStock Entry", eq=["docstatus", "work_order", "purpose"], join=["name"]),
		Use("tabStock Entry Detail", join=["parent"], group=["item_code"]),
	),
	Case(
		"Material Requests to order (subquery in NOT EXISTS)",
		"""select mr.name from `tabMaterial Request` mr
			where mr.docstatus = 1 and mr.status != 'Stopped' and mr.per_ordered < 100
			and not exists (select 1 from `tabPurchase Order Item` poi where poi.material_request = mr.name and poi.docstatus = 1)""",
		Use("tabMaterial Request", eq=["docstatus"], rng=["per_ordered"]),
		Use("tabPurchase Order Item", eq=["material_request", "docstatus"]),
	),
	Case(
		"Sales Person target variance (derived table)",
		"""select t.sales_person, t.total from (
				select st.sales_person, sum(si.base_net_total * st.allocated_percentage / 100) as total
				from `tabSales Team` st inner join `tabSales Invoice` si on si.name = st.parent
				where st.parenttype = 'Sales Invoice' and si.docstatus = 1
				and si.posting_date between '2024-04-01' and '2025-03-31'
				group by st.sales_person
			) t where t.total > 0 order by t.total desc""",
		Use("tabSales Team", eq=["parenttype"], join=["parent"], group=["sales_person"]),
		Use(SI, eq=["docstatus"], rng=["posting_date"], join=["name"]),
	),
	Case(
		"Customer ledger summary with a UNION of GL and payment ledger",
		"""select party, sum(debit - credit) as balance from `tabGL Entry`
			where party_type = 'Customer' and company = 'Acme Ltd' and is_cancelled = 0 and posting_date < '2024-04-01'
			group by party
			union all
			select party, sum(amount) from `tabPayment Ledger Entry`
			where party_type = 'Customer' and company = 'Acme Ltd' and delinked = 0 and posting_date < '2024-04-01'
			group by party""",
		Use(GLE, eq=["party_type", "company", "is_cancelled"], rng=["posting_date"], group=["party"]),
		Use(
			"tabPayment Ledger Entry",
			eq=["party_type", "company", "delinked"],
			rng=["posting_date"],
			group=["party"],
		),
	),
	Case(
		"Accounts Payable with a CTE",
		"""with open_invoices as (
				select name, supplier, outstanding_amount from `tabPurchase Invoice`
				where docstatus = 1 and company = 'Acme Ltd' and outstanding_amount > 0
			)
			select oi.supplier, sum(oi.outstanding_amount) from open_invoices oi
			join `tabSupplier` s on s.name = oi.supplier
			where s.supplier_group = 'Services'
			group by oi.supplier""",
		Use("tabPurchase Invoice", eq=["docstatus", "company"], rng=["outstanding_amount"]),
		Use("tabSupplier", eq=["supplier_group"], join=["name"]),
	),
	Case(
		"Sales analytics per month (function in GROUP BY)",
		"""select extract(year_month from posting_date) as period, sum(base_net_total)
			from `tabSales Invoice`
			where docstatus = 1 and company = 'Acme Ltd' and posting_date >= '2024-04-01'
			group by period order by period""",
		Use(SI, eq=["docstatus", "company"], rng=["posting_date"]),
	),
	Case(
		"Sales funnel: Opportunities by stage",
		"""select sales_stage, count(name) from `tabOpportunity`
			where company = 'Acme Ltd' and date(creation) between '2024-04-01' and '2025-03-31'
			group by sales_stage""",
		Use("tabOpportunity", eq=["company"], group=["sales_stage"], bad=["creation:function"]),
	),
	Case(
		"Lead search by email (leading wildcard)",
		"""select name, lead_name from `tabLead` where email_id like '%%@example.com' and status = 'Open'""",
		Use("tabLead", eq=["status"], bad=["email_id:wildcard"]),
	),
	Case(
		"Item search by code prefix",
		"""select name, item_name from `tabItem` where disabled = 0 and has_variants = 0
			and (name like 'ITEM-0%%' ) order by idx desc, name limit 20""",
		Use("tabItem", eq=["disabled", "has_variants"], rng=["name"], order=["idx", "name"]),
	),
	Case(
		"Item default warehouse (child table)",
		"""select default_warehouse, buying_cost_center, selling_cost_center from `tabItem Default`
			where parent = 'ITEM-0001' and company = 'Acme Ltd' and parenttype = 'Item'""",
		Use("tabItem Default", eq=["parent", "company", "parenttype"]),
	),
	Case(
		"Holiday list check",
		"""select holiday_date from `tabHoliday` where parent = 'Acme 2025' and holiday_date between '2025-01-01' and '2025-12-31'""",
		Use("tabHoliday", eq=["parent"], rng=["holiday_date"]),
	),
	Case(
		"Attendance for an employee in a month",
		"""select status, attendance_date from `tabAttendance`
			where employee = 'HR-EMP-0001' and docstatus = 1 and attendance_date >= '2025-03-01' and attendance_date <= '2025-03-31'
			order by attendance_date""",
		Use(
			"tabAttendance", eq=["employee", "docstatus"], rng=["attendance_date"], order=["attendance_date"]
		),
	),
	Case(
		"Leave ledger balance",
		"""select sum(leaves) from `tabLeave Ledger Entry`
			where employee = 'HR-EMP-0001' and leave_type = 'Casual Leave' and docstatus = 1
			and (from_date between '2025-01-01' and '2025-12-31' or to_date between '2025-01-01' and '2025-12-31')""",
		Use(
			"tabLeave Ledger Entry",
			eq=["employee", "leave_type", "docstatus"],
			bad=["from_date:or", "to_date:or"],
		),
	),
	Case(
		"Timesheet details of a project",
		"""select tsd.activity_type, sum(tsd.hours) from `tabTimesheet Detail` tsd
			join `tabTimesheet` ts on ts.name = tsd.parent
			where tsd.project = 'PROJ-0001' and ts.docstatus = 1
			group by tsd.activity_type""",
		Use("tabTimesheet Detail", eq=["project"], join=["parent"], group=["activity_type"]),
		Use("tabTimesheet", eq=["docstatus"], join=["name"]),
	),
	Case(
		"Project tasks overdue",
		"""select name, subject, exp_end_date from `tabTask`
			where project = 'PROJ-0001' and status not in ('Completed', 'Cancelled')
			and exp_end_date < curdate() order by exp_end_date""",
		Use("tabTask", eq=["project"], rng=["exp_end_date"], order=["exp_end_date"]),
	),
	Case(
		"POS invoices to consolidate",
		"""select name, customer, posting_date from `tabPOS Invoice`
			where pos_profile = 'Main POS' and docstatus = 1 and ifnull(consolidated_invoice, '') = ''
			and posting_date <= '2025-03-31'
			order by posting_date, posting_time""",
		Use(
			"tabPOS Invoice",
			eq=["pos_profile", "docstatus"],
			rng=["posting_date"],
			order=["posting_date", "posting_time"],
			bad=["consolidated_invoice:function"],
		),
	),
	Case(
		"Delete old Stock Ledger Entries of a cancelled voucher",
		"""delete from `tabStock Ledger Entry` where voucher_type = 'Delivery Note' and voucher_no = 'DN-0001'""",
		Use(SLE, eq=["voucher_type", "voucher_no"]),
	),
	Case(
		"Cancel GL Entries of a voucher",
		"""update `tabGL Entry` set is_cancelled = 1, modified = '2025-03-31 10:00:00', modified_by = 'a@example.com'
			where voucher_type = 'Sales Invoice' and voucher_no = 'SINV-0001' and is_cancelled = 0""",
		Use(GLE, eq=["voucher_type", "voucher_no", "is_cancelled"]),
	),
	Case(
		"Update outstanding amount of an invoice",
		"""update `tabSales Invoice` set outstanding_amount = 0, status = 'Paid' where name = 'SINV-0001'""",
		Use(SI, eq=["name"]),
	),
	Case(
		"Multi-table update of child rows through the parent",
		"""update `tabSales Invoice Item` sii join `tabSales Invoice` si on si.name = sii.parent
			set sii.delivered_qty = sii.qty where si.update_stock = 1 and si.docstatus = 1 and si.posting_date >= '2025-01-01'""",
		Use(SII, join=["parent"]),
		Use(SI, eq=["update_stock", "docstatus"], rng=["posting_date"], join=["name"]),
	),
	Case(
		"Multi-table delete of orphaned child rows",
		"""delete sii from `tabSales Invoice Item` sii left join `tabSales Invoice` si on si.name = sii.parent
			where si.name is null and sii.creation < '2024-01-01'""",
		Use(SII, rng=["creation"]),
		Use(SI, eq=["name"]),
	),
	Case(
		"Delivery trip stops (right join)",
		"""select dt.name, ds.customer from `tabDelivery Stop` ds right join `tabDelivery Trip` dt on dt.name = ds.parent
			where dt.docstatus = 1 and dt.departure_time >= '2025-03-01'""",
		# the RIGHT JOIN's key is looked up in the left table; the right one is read by its WHERE
		Use("tabDelivery Stop", eq=["parent"]),
		Use("tabDelivery Trip", eq=["docstatus"], rng=["departure_time"]),
	),
	Case(
		"Sales Invoices with a JOIN ... USING",
		"""select name, posting_date from `tabSales Invoice` si join `tabSales Invoice Timesheet` sit using (name)
			where si.docstatus = 1""",
		Use(SI, eq=["docstatus"]),
		Use("tabSales Invoice Timesheet", join=["name"]),
	),
	Case(
		"Packed items with a parenthesised join group",
		"""select pi.item_code, dn.name from (`tabPacked Item` pi join `tabDelivery Note` dn on dn.name = pi.parent)
			left join `tabItem` i on i.name = pi.item_code and i.is_stock_item = 1
			where dn.docstatus = 0 and pi.parenttype = 'Delivery Note'""",
		Use("tabPacked Item", eq=["parenttype"], join=["parent"]),
		Use("tabDelivery Note", eq=["docstatus"], join=["name"]),
		Use("tabItem", eq=["name", "is_stock_item"]),
	),
	Case(
		"Self join of Accounts (parent account)",
		"""select child.name, parent.account_name from `tabAccount` child
			left join `tabAccount` parent on parent.name = child.parent_account
			where child.company = 'Acme Ltd' and child.is_group = 0""",
		Use("tabAccount", eq=["company", "is_group"]),
		Use("tabAccount", eq=["name"]),
	),
	Case(
		"Stock reconciliation items with a tuple IN",
		"""select item_code, warehouse, qty from `tabStock Reconciliation Item`
			where (item_code, warehouse) in (('ITEM-0001', 'Stores - AL'), ('ITEM-0002', 'Stores - AL')) and docstatus = 1""",
		Use("tabStock Reconciliation Item", eq=["item_code", "warehouse", "docstatus"]),
	),
	Case(
		"Gross profit buying amount per delivery (scalar subquery with the outer table)",
		"""select dni.name, dni.item_code,
				(select sum(stock_value_difference) from `tabStock Ledger Entry` sle
					where sle.voucher_type = 'Delivery Note' and sle.voucher_detail_no = dni.name and sle.is_cancelled = 0) as buying_amount
			from `tabDelivery Note Item` dni where dni.parent = 'DN-0001'""",
		Use("tabDelivery Note Item", eq=["parent"]),
		Use(SLE, eq=["voucher_type", "voucher_detail_no", "is_cancelled"]),
	),
]
