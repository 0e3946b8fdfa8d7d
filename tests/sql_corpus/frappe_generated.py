"""SQL text Frappe 15.44.2 itself generated for its own DocTypes, captured in a bench
(whitespace-only lines emptied).

`frappe.get_list(..., run=0)`, `frappe.db.get_value(..., run=False)` and
`frappe.qb.get_query(...).get_sql()` (what `frappe.db.count` runs), called with the filters
named in each case; the expected columns follow from those filters: plain comparisons are
equality or range, and where Frappe wraps the column in `ifnull(...)` (`is not set`, `<=` on a
nullable date or a Read Only field) or the LIKE pattern starts with `%`, the column is
unindexable. Event and Note lists also carry Frappe's own permission query conditions, an OR
of two columns.
"""

from tests.sql_corpus.model import Case, Use

CASES = [
	Case(
		"frappe.get_list ToDo",
		"""select `name`
			from `tabToDo`
			where `tabToDo`.`status` = 'Open' and `tabToDo`.`allocated_to` = 'a@example.com'

			 order by `tabToDo`.`modified` DESC
			limit 20 offset 0""",
		Use("tabToDo", eq=["status", "allocated_to"], order=["modified"]),
	),
	Case(
		"frappe.get_list ToDo",
		"""select `name`
			from `tabToDo`
			where `tabToDo`.`status` in ('Open', 'Closed') and `tabToDo`.`date` >= '2024-01-01'

			 order by `tabToDo`.`modified` DESC
			limit 20 offset 0""",
		Use("tabToDo", eq=["status"], rng=["date"], order=["modified"]),
	),
	Case(
		"frappe.get_list ToDo",
		"""select `name`
			from `tabToDo`
			where `tabToDo`.`reference_type` = 'Sales Invoice' and `tabToDo`.`reference_name` = 'SINV-0001' and ifnull(`tabToDo`.`status`, '') != 'Cancelled'

			 order by `tabToDo`.`modified` DESC
			limit 20 offset 0""",
		Use("tabToDo", eq=["reference_type", "reference_name"], order=["modified"]),
	),
	Case(
		"frappe.get_list ToDo",
		"""select `name`
			from `tabToDo`
			where `tabToDo`.`description` like '%%urgent%%'

			 order by `tabToDo`.`date` asc
			limit 20 offset 0""",
		Use("tabToDo", eq=[], order=["date"], bad=["description:wildcard"]),
	),
	Case(
		"frappe.get_list ToDo",
		"""select `name`
			from `tabToDo`
			where ifnull(`tabToDo`.`allocated_to`, '') = '' and `tabToDo`.`priority` = 'High'

			 order by `tabToDo`.`modified` DESC
			limit 20 offset 0""",
		Use("tabToDo", eq=["priority"], order=["modified"], bad=["allocated_to:function"]),
	),
	Case(
		"frappe.get_list ToDo",
		"""select `name`
			from `tabToDo`
			where `tabToDo`.`date` between '2024-01-01' AND '2024-03-31' and `tabToDo`.`assigned_by` = 'Administrator'

			 order by `tabToDo`.`modified` DESC
			limit 20 offset 0""",
		Use("tabToDo", eq=["assigned_by"], rng=["date"], order=["modified"]),
	),
	Case(
		"frappe.get_list ToDo",
		"""select `name`
			from `tabToDo`
			where ifnull(`tabToDo`.`date`, '0001-01-01') <= '2024-06-30'

			 order by `tabToDo`.`modified` DESC
			limit 20 offset 0""",
		Use("tabToDo", eq=[], order=["modified"], bad=["date:function"]),
	),
	Case(
		"frappe.get_list ToDo",
		"""select `name`
			from `tabToDo`
			where `tabToDo`.`creation` < '2024-06-30' and `tabToDo`.`status` = 'Open'

			 order by `tabToDo`.`modified` DESC
			limit 20 offset 0""",
		Use("tabToDo", eq=["status"], rng=["creation"], order=["modified"]),
	),
	Case(
		"frappe.get_list ToDo",
		"""select `status`, count(*) as count
			from `tabToDo`

			 group by status
			 order by count desc
			limit 20 offset 0""",
		Use("tabToDo", eq=[], group=["status"]),
	),
	Case(
		"frappe.get_list ToDo",
		"""select `reference_type`, count(`tabToDo`.`name`) as total
			from `tabToDo`
			where `tabToDo`.`allocated_to` = 'a@example.com'
			 group by reference_type

			limit 20 offset 0""",
		Use("tabToDo", eq=["allocated_to"], group=["reference_type"]),
	),
	Case(
		"frappe.get_list User",
		"""select `name`
			from `tabUser`
			where `tabUser`.`enabled` = 1.0 and `tabUser`.`user_type` = 'System User'

			 order by `tabUser`.`modified` DESC
			limit 20 offset 0""",
		Use("tabUser", eq=["enabled", "user_type"], order=["modified"]),
	),
	Case(
		"frappe.get_list User",
		"""select `name`
			from `tabUser`
			where `tabUser`.`email` like 'adm%%'

			 order by full_name asc
			limit 20 offset 0""",
		Use("tabUser", eq=[], rng=["email"], order=["full_name"]),
	),
	Case(
		"frappe.get_list User",
		"""select `name`
			from `tabUser`
			where `tabUser`.`name` in ('Administrator', 'Guest')

			 order by `tabUser`.`modified` DESC
			limit 20 offset 0""",
		Use("tabUser", eq=["name"], order=["modified"]),
	),
	Case(
		"frappe.get_list User",
		"""select `name`
			from `tabUser`
			where ifnull(`tabUser`.`last_login`, '') >= '2024-01-01' and `tabUser`.`enabled` = 1.0

			 order by `tabUser`.`modified` DESC
			limit 20 offset 0""",
		Use("tabUser", eq=["enabled"], order=["modified"], bad=["last_login:function"]),
	),
	Case(
		"frappe.get_list User",
		"""select `name`
			from `tabUser`
			where `tabUser`.`role_profile_name` != ''

			 order by `tabUser`.`modified` DESC
			limit 20 offset 0""",
		Use("tabUser", eq=[], order=["modified"]),
	),
	Case(
		"frappe.get_list User",
		"""select `name`
			from `tabUser`
			where `tabUser`.`full_name` like '%%smith%%' and `tabUser`.`enabled` = 1.0

			 order by `tabUser`.`modified` DESC
			limit 20 offset 0""",
		Use("tabUser", eq=["enabled"], order=["modified"], bad=["full_name:wildcard"]),
	),
	Case(
		"frappe.get_list Communication",
		"""select `name`
			from `tabCommunication`
			where `tabCommunication`.`reference_doctype` = 'Lead' and `tabCommunication`.`reference_name` = 'CRM-LEAD-0001'

			 order by communication_date desc
			limit 20 offset 0""",
		Use("tabCommunication", eq=["reference_doctype", "reference_name"], order=["communication_date"]),
	),
	Case(
		"frappe.get_list Communication",
		"""select `name`
			from `tabCommunication`
			where `tabCommunication`.`communication_type` = 'Communication' and `tabCommunication`.`sent_or_received` = 'Received' and `tabCommunication`.`communication_date` > '2024-01-01 00:00:00.000000'

			 order by `tabCommunication`.`modified` DESC
			limit 20 offset 0""",
		Use(
			"tabCommunication",
			eq=["communication_type", "sent_or_received"],
			rng=["communication_date"],
			order=["modified"],
		),
	),
	Case(
		"frappe.get_list Communication",
		"""select `name`
			from `tabCommunication`
			where `tabCommunication`.`status` = 'Open' and `tabCommunication`.`email_account` = 'Support'

			 order by `tabCommunication`.`modified` DESC
			limit 20 offset 0""",
		Use("tabCommunication", eq=["status", "email_account"], order=["modified"]),
	),
	Case(
		"frappe.get_list Communication",
		"""select `name`
			from `tabCommunication`
			where `tabCommunication`.`sender` like '%%@example.com'

			 order by `tabCommunication`.`modified` DESC
			limit 20 offset 0""",
		Use("tabCommunication", eq=[], order=["modified"], bad=["sender:wildcard"]),
	),
	Case(
		"frappe.get_list Communication",
		"""select `name`
			from `tabCommunication`
			where `tabCommunication`.`communication_medium` in ('Email', 'Phone') and `tabCommunication`.`seen` = 0.0

			 order by `tabCommunication`.`modified` DESC
			limit 20 offset 0""",
		Use("tabCommunication", eq=["communication_medium", "seen"], order=["modified"]),
	),
	Case(
		"frappe.get_list File",
		"""select `name`
			from `tabFile`
			where `tabFile`.`attached_to_doctype` = 'Item' and `tabFile`.`attached_to_name` = 'ITEM-001'

			 order by `tabFile`.`modified` DESC
			limit 20 offset 0""",
		Use("tabFile", eq=["attached_to_doctype", "attached_to_name"], order=["modified"]),
	),
	Case(
		"frappe.get_list File",
		"""select `name`
			from `tabFile`
			where `tabFile`.`folder` = 'Home/Attachments' and `tabFile`.`is_folder` = 0.0

			 order by file_name asc
			limit 20 offset 0""",
		Use("tabFile", eq=["folder", "is_folder"], order=["file_name"]),
	),
	Case(
		"frappe.get_list File",
		"""select `name`
			from `tabFile`
			where `tabFile`.`content_hash` = 'abc123' and `tabFile`.`is_private` = 1.0

			 order by `tabFile`.`modified` DESC
			limit 20 offset 0""",
		Use("tabFile", eq=["content_hash", "is_private"], order=["modified"]),
	),
	Case(
		"frappe.get_list File",
		"""select `name`
			from `tabFile`
			where `tabFile`.`file_size` > 1000000.0

			 order by file_size desc
			limit 20 offset 0""",
		Use("tabFile", eq=[], rng=["file_size"], order=["file_size"]),
	),
	Case(
		"frappe.get_list File",
		"""select `name`
			from `tabFile`
			where `tabFile`.`file_url` like '/files/%%'

			 order by `tabFile`.`modified` DESC
			limit 20 offset 0""",
		Use("tabFile", eq=[], rng=["file_url"], order=["modified"]),
	),
	Case(
		"frappe.get_list Error Log",
		"""select `name`
			from `tabError Log`
			where `tabError Log`.`seen` = 0.0

			 order by creation desc
			limit 20 offset 0""",
		Use("tabError Log", eq=["seen"], order=["creation"]),
	),
	Case(
		"frappe.get_list Error Log",
		"""select `name`
			from `tabError Log`
			where `tabError Log`.`creation` < '2024-01-01'

			 order by `tabError Log`.`modified` DESC
			limit 20 offset 0""",
		Use("tabError Log", eq=[], rng=["creation"], order=["modified"]),
	),
	Case(
		"frappe.get_list Error Log",
		"""select `name`
			from `tabError Log`
			where `tabError Log`.`method` like '%%frappe.email%%' and `tabError Log`.`seen` = 0.0

			 order by `tabError Log`.`modified` DESC
			limit 20 offset 0""",
		Use("tabError Log", eq=["seen"], order=["modified"], bad=["method:wildcard"]),
	),
	Case(
		"frappe.get_list Error Log",
		"""select `reference_doctype`, count(*) as count
			from `tabError Log`
			where `tabError Log`.`reference_doctype` = 'Sales Invoice'
			 group by reference_doctype
			 order by `tabError Log`.`modified` DESC
			limit 20 offset 0""",
		Use("tabError Log", eq=["reference_doctype"], order=["modified"], group=["reference_doctype"]),
	),
	Case(
		"frappe.get_list Version",
		"""select `name`
			from `tabVersion`
			where `tabVersion`.`ref_doctype` = 'Sales Invoice' and `tabVersion`.`docname` = 'SINV-0001'

			 order by creation desc
			limit 20 offset 0""",
		Use("tabVersion", eq=["ref_doctype", "docname"], order=["creation"]),
	),
	Case(
		"frappe.get_list Version",
		"""select `name`
			from `tabVersion`
			where `tabVersion`.`creation` > '2024-01-01' and `tabVersion`.`ref_doctype` = 'Item'

			 order by `tabVersion`.`modified` DESC
			limit 20 offset 0""",
		Use("tabVersion", eq=["ref_doctype"], rng=["creation"], order=["modified"]),
	),
	Case(
		"frappe.get_list Comment",
		"""select `name`
			from `tabComment`
			where `tabComment`.`reference_doctype` = 'Task' and `tabComment`.`reference_name` = 'TASK-0001' and `tabComment`.`comment_type` = 'Comment'

			 order by creation asc
			limit 20 offset 0""",
		Use("tabComment", eq=["reference_doctype", "reference_name", "comment_type"], order=["creation"]),
	),
	Case(
		"frappe.get_list Comment",
		"""select `name`
			from `tabComment`
			where `tabComment`.`comment_type` in ('Like', 'Comment') and `tabComment`.`comment_email` = 'a@example.com'

			 order by `tabComment`.`modified` DESC
			limit 20 offset 0""",
		Use("tabComment", eq=["comment_type", "comment_email"], order=["modified"]),
	),
	Case(
		"frappe.get_list Comment",
		"""select `name`
			from `tabComment`
			where `tabComment`.`seen` = 0.0 and `tabComment`.`reference_owner` = 'a@example.com'

			 order by `tabComment`.`modified` DESC
			limit 20 offset 0""",
		Use("tabComment", eq=["seen", "reference_owner"], order=["modified"]),
	),
	Case(
		"frappe.get_list Activity Log",
		"""select `name`
			from `tabActivity Log`
			where `tabActivity Log`.`reference_doctype` = 'Customer' and `tabActivity Log`.`reference_name` = 'CUST-1'

			 order by creation desc
			limit 20 offset 0""",
		Use("tabActivity Log", eq=["reference_doctype", "reference_name"], order=["creation"]),
	),
	Case(
		"frappe.get_list Activity Log",
		"""select `name`
			from `tabActivity Log`
			where `tabActivity Log`.`user` = 'a@example.com' and `tabActivity Log`.`operation` = 'Login' and `tabActivity Log`.`creation` >= '2024-05-01'

			 order by `tabActivity Log`.`modified` DESC
			limit 20 offset 0""",
		Use("tabActivity Log", eq=["user", "operation"], rng=["creation"], order=["modified"]),
	),
	Case(
		"frappe.get_list Activity Log",
		"""select `user`, count(*) as attempts
			from `tabActivity Log`
			where `tabActivity Log`.`status` = 'Failed'
			 group by user
			 order by attempts desc
			limit 20 offset 0""",
		Use("tabActivity Log", eq=["status"], group=["user"]),
	),
	Case(
		"frappe.get_list Notification Log",
		"""select `name`
			from `tabNotification Log`
			where `tabNotification Log`.`for_user` = 'a@example.com' and `tabNotification Log`.`read` = 0.0

			 order by creation desc
			limit 20 offset 0""",
		Use("tabNotification Log", eq=["for_user", "read"], order=["creation"]),
	),
	Case(
		"frappe.get_list Notification Log",
		"""select `name`
			from `tabNotification Log`
			where `tabNotification Log`.`document_type` = 'ToDo' and `tabNotification Log`.`document_name` = 'abc'

			 order by `tabNotification Log`.`modified` DESC
			limit 20 offset 0""",
		Use("tabNotification Log", eq=["document_type", "document_name"], order=["modified"]),
	),
	Case(
		"frappe.get_list Notification Log",
		"""select `name`
			from `tabNotification Log`
			where `tabNotification Log`.`type` in ('Mention', 'Assignment') and `tabNotification Log`.`for_user` = 'a@example.com'

			 order by `tabNotification Log`.`modified` DESC
			limit 20 offset 0""",
		Use("tabNotification Log", eq=["type", "for_user"], order=["modified"]),
	),
	Case(
		"frappe.get_list Email Queue",
		"""select `name`
			from `tabEmail Queue`
			where `tabEmail Queue`.`status` = 'Not Sent' and ifnull(`tabEmail Queue`.`send_after`, '0001-01-01 00:00:00.000000') <= '2024-06-01 10:00:00.000000'

			 order by priority desc, creation asc
			limit 20 offset 0""",
		Use("tabEmail Queue", eq=["status"], order=["priority", "creation"], bad=["send_after:function"]),
	),
	Case(
		"frappe.get_list Email Queue",
		"""select `name`
			from `tabEmail Queue`
			where `tabEmail Queue`.`status` in ('Not Sent', 'Partially Sent')

			 order by priority desc
			limit 20 offset 0""",
		Use("tabEmail Queue", eq=["status"], order=["priority"]),
	),
	Case(
		"frappe.get_list Email Queue",
		"""select `name`
			from `tabEmail Queue`
			where `tabEmail Queue`.`reference_doctype` = 'Newsletter' and `tabEmail Queue`.`reference_name` = 'NL-1'

			 order by `tabEmail Queue`.`modified` DESC
			limit 20 offset 0""",
		Use("tabEmail Queue", eq=["reference_doctype", "reference_name"], order=["modified"]),
	),
	Case(
		"frappe.get_list Email Queue",
		"""select `name`
			from `tabEmail Queue`
			where `tabEmail Queue`.`creation` < '2024-01-01' and `tabEmail Queue`.`status` = 'Sent'

			 order by `tabEmail Queue`.`modified` DESC
			limit 20 offset 0""",
		Use("tabEmail Queue", eq=["status"], rng=["creation"], order=["modified"]),
	),
	Case(
		"frappe.get_list DocShare",
		"""select `name`
			from `tabDocShare`
			where `tabDocShare`.`user` = 'a@example.com' and `tabDocShare`.`share_doctype` = 'Project'

			 order by `tabDocShare`.`modified` DESC
			limit 20 offset 0""",
		Use("tabDocShare", eq=["user", "share_doctype"], order=["modified"]),
	),
	Case(
		"frappe.get_list DocShare",
		"""select `name`
			from `tabDocShare`
			where `tabDocShare`.`share_doctype` = 'Project' and `tabDocShare`.`share_name` = 'PROJ-1' and `tabDocShare`.`everyone` = 1.0

			 order by `tabDocShare`.`modified` DESC
			limit 20 offset 0""",
		Use("tabDocShare", eq=["share_doctype", "share_name", "everyone"], order=["modified"]),
	),
	Case(
		"frappe.get_list Contact",
		"""select `name`
			from `tabContact`
			where `tabContact`.`email_id` = 'a@example.com'

			 order by `tabContact`.`modified` DESC
			limit 20 offset 0""",
		Use("tabContact", eq=["email_id"], order=["modified"]),
	),
	Case(
		"frappe.get_list Contact",
		"""select `name`
			from `tabContact`
			where `tabContact`.`full_name` like 'John%%' and `tabContact`.`status` = 'Passive'

			 order by `tabContact`.`modified` DESC
			limit 20 offset 0""",
		Use("tabContact", eq=["status"], rng=["full_name"], order=["modified"]),
	),
	Case(
		"frappe.get_list Contact",
		"""select `name`
			from `tabContact`
			where `tabContact`.`mobile_no` like '%%555%%'

			 order by `tabContact`.`modified` DESC
			limit 20 offset 0""",
		Use("tabContact", eq=[], order=["modified"], bad=["mobile_no:wildcard"]),
	),
	Case(
		"frappe.get_list Address",
		"""select `name`
			from `tabAddress`
			where `tabAddress`.`address_type` = 'Billing' and `tabAddress`.`is_primary_address` = 1.0

			 order by `tabAddress`.`modified` DESC
			limit 20 offset 0""",
		Use("tabAddress", eq=["address_type", "is_primary_address"], order=["modified"]),
	),
	Case(
		"frappe.get_list Address",
		"""select `name`
			from `tabAddress`
			where `tabAddress`.`country` = 'India' and `tabAddress`.`city` = 'Mumbai'

			 order by address_title asc
			limit 20 offset 0""",
		Use("tabAddress", eq=["country", "city"], order=["address_title"]),
	),
	Case(
		"frappe.get_list Address",
		"""select `name`
			from `tabAddress`
			where `tabAddress`.`pincode` like '400%%'

			 order by `tabAddress`.`modified` DESC
			limit 20 offset 0""",
		Use("tabAddress", eq=[], rng=["pincode"], order=["modified"]),
	),
	Case(
		"frappe.get_list Event",
		"""select `name`
			from `tabEvent`
			where `tabEvent`.`starts_on` between '2024-01-01 00:00:00.000000' AND '2024-01-31 23:59:59.999999' and `tabEvent`.`event_type` = 'Public' and ((`tabEvent`.`event_type`='Public' or `tabEvent`.`owner`='Administrator'))

			 order by starts_on asc
			limit 20 offset 0""",
		Use(
			"tabEvent",
			eq=["event_type"],
			rng=["starts_on"],
			order=["starts_on"],
			bad=["event_type:or", "owner:or"],
		),
	),
	Case(
		"frappe.get_list Event",
		"""select `name`
			from `tabEvent`
			where `tabEvent`.`status` = 'Open' and `tabEvent`.`send_reminder` = 1.0 and ((`tabEvent`.`event_type`='Public' or `tabEvent`.`owner`='Administrator'))

			 order by `tabEvent`.`modified` DESC
			limit 20 offset 0""",
		Use(
			"tabEvent", eq=["status", "send_reminder"], order=["modified"], bad=["event_type:or", "owner:or"]
		),
	),
	Case(
		"frappe.get_list Event",
		"""select `name`
			from `tabEvent`
			where `tabEvent`.`ends_on` >= '2024-01-01 00:00:00.000000' and `tabEvent`.`repeat_this_event` = 1.0 and ((`tabEvent`.`event_type`='Public' or `tabEvent`.`owner`='Administrator'))

			 order by `tabEvent`.`modified` DESC
			limit 20 offset 0""",
		Use(
			"tabEvent",
			eq=["repeat_this_event"],
			rng=["ends_on"],
			order=["modified"],
			bad=["event_type:or", "owner:or"],
		),
	),
	Case(
		"frappe.get_list Note",
		"""select `name`
			from `tabNote`
			where `tabNote`.`public` = 1.0 and `tabNote`.`notify_on_login` = 1.0 and ((`tabNote`.owner = 'Administrator' or `tabNote`.public = 1))

			 order by `tabNote`.`modified` DESC
			limit 20 offset 0""",
		Use("tabNote", eq=["public", "notify_on_login"], order=["modified"], bad=["owner:or", "public:or"]),
	),
	Case(
		"frappe.get_list Scheduled Job Log",
		"""select `name`
			from `tabScheduled Job Log`
			where `tabScheduled Job Log`.`scheduled_job_type` = 'frappe.email.queue.flush' and `tabScheduled Job Log`.`status` = 'Failed'

			 order by creation desc
			limit 20 offset 0""",
		Use("tabScheduled Job Log", eq=["scheduled_job_type", "status"], order=["creation"]),
	),
	Case(
		"frappe.get_list Scheduled Job Log",
		"""select `name`
			from `tabScheduled Job Log`
			where `tabScheduled Job Log`.`creation` < '2024-01-01'

			 order by `tabScheduled Job Log`.`modified` DESC
			limit 20 offset 0""",
		Use("tabScheduled Job Log", eq=[], rng=["creation"], order=["modified"]),
	),
	Case(
		"frappe.get_list Scheduled Job Log",
		"""select `scheduled_job_type`, count(*) as failures
			from `tabScheduled Job Log`
			where `tabScheduled Job Log`.`status` = 'Failed'
			 group by scheduled_job_type
			 order by `tabScheduled Job Log`.`modified` DESC
			limit 20 offset 0""",
		Use("tabScheduled Job Log", eq=["status"], order=["modified"], group=["scheduled_job_type"]),
	),
	Case(
		"frappe.get_list Access Log",
		"""select `name`
			from `tabAccess Log`
			where `tabAccess Log`.`user` = 'a@example.com' and `tabAccess Log`.`timestamp` >= '2024-01-01 00:00:00.000000'

			 order by `tabAccess Log`.`modified` DESC
			limit 20 offset 0""",
		Use("tabAccess Log", eq=["user"], rng=["timestamp"], order=["modified"]),
	),
	Case(
		"frappe.get_list Access Log",
		"""select `name`
			from `tabAccess Log`
			where `tabAccess Log`.`export_from` = 'Sales Invoice'

			 order by timestamp desc
			limit 20 offset 0""",
		Use("tabAccess Log", eq=["export_from"], order=["timestamp"]),
	),
	Case(
		"frappe.get_list Route History",
		"""select `route`, count(name) as count
			from `tabRoute History`
			where `tabRoute History`.`user` = 'a@example.com'
			 group by route
			 order by count desc
			limit 20 offset 0""",
		Use("tabRoute History", eq=["user"], group=["route"]),
	),
	Case(
		"frappe.get_list Route History",
		"""select `name`
			from `tabRoute History`
			where `tabRoute History`.`creation` < '2024-01-01'

			 order by `tabRoute History`.`modified` DESC
			limit 20 offset 0""",
		Use("tabRoute History", eq=[], rng=["creation"], order=["modified"]),
	),
	Case(
		"frappe.get_list Deleted Document",
		"""select `name`
			from `tabDeleted Document`
			where `tabDeleted Document`.`deleted_doctype` = 'Sales Invoice' and `tabDeleted Document`.`restored` = 0.0

			 order by `tabDeleted Document`.`modified` DESC
			limit 20 offset 0""",
		Use("tabDeleted Document", eq=["deleted_doctype", "restored"], order=["modified"]),
	),
	Case(
		"frappe.get_list Deleted Document",
		"""select `name`
			from `tabDeleted Document`
			where `tabDeleted Document`.`deleted_name` = 'SINV-0001'

			 order by `tabDeleted Document`.`modified` DESC
			limit 20 offset 0""",
		Use("tabDeleted Document", eq=["deleted_name"], order=["modified"]),
	),
	Case(
		"frappe.get_list Prepared Report",
		"""select `name`
			from `tabPrepared Report`
			where `tabPrepared Report`.`report_name` = 'General Ledger' and `tabPrepared Report`.`status` = 'Completed'

			 order by creation desc
			limit 20 offset 0""",
		Use("tabPrepared Report", eq=["report_name", "status"], order=["creation"]),
	),
	Case(
		"frappe.get_list Prepared Report",
		"""select `name`
			from `tabPrepared Report`
			where `tabPrepared Report`.`status` in ('Queued', 'Started') and `tabPrepared Report`.`creation` < '2024-01-01'

			 order by `tabPrepared Report`.`modified` DESC
			limit 20 offset 0""",
		Use("tabPrepared Report", eq=["status"], rng=["creation"], order=["modified"]),
	),
	Case(
		"frappe.get_list Web Page",
		"""select `name`
			from `tabWeb Page`
			where `tabWeb Page`.`route` = 'about' and `tabWeb Page`.`published` = 1.0

			 order by `tabWeb Page`.`modified` DESC
			limit 20 offset 0""",
		Use("tabWeb Page", eq=["route", "published"], order=["modified"]),
	),
	Case(
		"frappe.get_list Web Page",
		"""select `name`
			from `tabWeb Page`
			where `tabWeb Page`.`published` = 1.0 and ifnull(`tabWeb Page`.`start_date`, '0001-01-01 00:00:00.000000') <= '2024-01-01 00:00:00.000000'

			 order by `tabWeb Page`.`modified` DESC
			limit 20 offset 0""",
		Use("tabWeb Page", eq=["published"], order=["modified"], bad=["start_date:function"]),
	),
	Case(
		"frappe.get_list Workflow Action",
		"""select `name`
			from `tabWorkflow Action`
			where `tabWorkflow Action`.`reference_doctype` = 'Leave Application' and `tabWorkflow Action`.`reference_name` = 'HR-LAP-1' and `tabWorkflow Action`.`status` = 'Open'

			 order by `tabWorkflow Action`.`modified` DESC
			limit 20 offset 0""",
		Use("tabWorkflow Action", eq=["reference_doctype", "reference_name", "status"], order=["modified"]),
	),
	Case(
		"frappe.get_list Workflow Action",
		"""select `name`
			from `tabWorkflow Action`
			where `tabWorkflow Action`.`user` = 'a@example.com' and `tabWorkflow Action`.`status` = 'Open'

			 order by `tabWorkflow Action`.`modified` DESC
			limit 20 offset 0""",
		Use("tabWorkflow Action", eq=["user", "status"], order=["modified"]),
	),
	Case(
		"frappe.get_list Report",
		"""select `name`
			from `tabReport`
			where `tabReport`.`ref_doctype` = 'Sales Invoice' and `tabReport`.`disabled` = 0.0

			 order by report_name asc
			limit 20 offset 0""",
		Use("tabReport", eq=["ref_doctype", "disabled"], order=["report_name"]),
	),
	Case(
		"frappe.get_list Report",
		"""select `name`
			from `tabReport`
			where `tabReport`.`report_type` in ('Script Report', 'Query Report') and `tabReport`.`is_standard` = 'No'

			 order by `tabReport`.`modified` DESC
			limit 20 offset 0""",
		Use("tabReport", eq=["report_type", "is_standard"], order=["modified"]),
	),
	Case(
		"frappe.get_list Custom Field",
		"""select `name`
			from `tabCustom Field`
			where `tabCustom Field`.`dt` = 'Sales Invoice'

			 order by idx asc
			limit 20 offset 0""",
		Use("tabCustom Field", eq=["dt"], order=["idx"]),
	),
	Case(
		"frappe.get_list Custom Field",
		"""select `name`
			from `tabCustom Field`
			where `tabCustom Field`.`dt` = 'Item' and `tabCustom Field`.`fieldname` = 'custom_brand'

			 order by `tabCustom Field`.`modified` DESC
			limit 20 offset 0""",
		Use("tabCustom Field", eq=["dt", "fieldname"], order=["modified"]),
	),
	Case(
		"frappe.get_list Property Setter",
		"""select `name`
			from `tabProperty Setter`
			where `tabProperty Setter`.`doc_type` = 'Sales Invoice' and `tabProperty Setter`.`property` = 'search_index'

			 order by `tabProperty Setter`.`modified` DESC
			limit 20 offset 0""",
		Use("tabProperty Setter", eq=["doc_type", "property"], order=["modified"]),
	),
	Case(
		"frappe.get_list Property Setter",
		"""select `name`
			from `tabProperty Setter`
			where `tabProperty Setter`.`doc_type` = 'Item' and `tabProperty Setter`.`field_name` = 'item_name' and `tabProperty Setter`.`property` in ('bold', 'hidden')

			 order by `tabProperty Setter`.`modified` DESC
			limit 20 offset 0""",
		Use("tabProperty Setter", eq=["doc_type", "field_name", "property"], order=["modified"]),
	),
	Case(
		"frappe.get_list Email Account",
		"""select `name`
			from `tabEmail Account`
			where `tabEmail Account`.`enable_incoming` = 1.0 and `tabEmail Account`.`awaiting_password` = 0.0

			 order by `tabEmail Account`.`modified` DESC
			limit 20 offset 0""",
		Use("tabEmail Account", eq=["enable_incoming", "awaiting_password"], order=["modified"]),
	),
	Case(
		"frappe.get_list Integration Request",
		"""select `name`
			from `tabIntegration Request`
			where `tabIntegration Request`.`status` = 'Queued' and `tabIntegration Request`.`integration_request_service` = 'Stripe'

			 order by `tabIntegration Request`.`modified` DESC
			limit 20 offset 0""",
		Use("tabIntegration Request", eq=["status", "integration_request_service"], order=["modified"]),
	),
	Case(
		"frappe.get_list Integration Request",
		"""select `name`
			from `tabIntegration Request`
			where `tabIntegration Request`.`reference_doctype` = 'Payment Request' and `tabIntegration Request`.`reference_docname` = 'PR-1'

			 order by `tabIntegration Request`.`modified` DESC
			limit 20 offset 0""",
		Use("tabIntegration Request", eq=["reference_doctype", "reference_docname"], order=["modified"]),
	),
	Case(
		"frappe.get_list Energy Point Log",
		"""select `name`
			from `tabEnergy Point Log`
			where `tabEnergy Point Log`.`user` = 'a@example.com' and `tabEnergy Point Log`.`type` = 'Auto' and `tabEnergy Point Log`.`creation` > '2024-01-01'

			 order by `tabEnergy Point Log`.`modified` DESC
			limit 20 offset 0""",
		Use("tabEnergy Point Log", eq=["user", "type"], rng=["creation"], order=["modified"]),
	),
	Case(
		"frappe.get_list Energy Point Log",
		"""select `name`
			from `tabEnergy Point Log`
			where `tabEnergy Point Log`.`reference_doctype` = 'Task' and `tabEnergy Point Log`.`reference_name` = 'TASK-1' and `tabEnergy Point Log`.`reverted` = 0.0

			 order by `tabEnergy Point Log`.`modified` DESC
			limit 20 offset 0""",
		Use(
			"tabEnergy Point Log", eq=["reference_doctype", "reference_name", "reverted"], order=["modified"]
		),
	),
	Case(
		"frappe.get_list Energy Point Log",
		"""select `user`, sum(points) as points
			from `tabEnergy Point Log`
			where ifnull(`tabEnergy Point Log`.`type`, '') != 'Review'
			 group by user
			 order by points desc
			limit 20 offset 0""",
		Use("tabEnergy Point Log", eq=[], group=["user"]),
	),
	Case(
		"frappe.get_list Has Role",
		"""select `role`
			from `tabHas Role`
			where `tabHas Role`.`parent` = 'a@example.com' and `tabHas Role`.`parenttype` = 'User'


			limit 20 offset 0""",
		Use("tabHas Role", eq=["parent", "parenttype"]),
	),
	Case(
		"frappe.get_list DocField",
		"""select `fieldname`, `options`
			from `tabDocField`
			where `tabDocField`.`parent` = 'ToDo' and `tabDocField`.`fieldtype` in ('Link', 'Dynamic Link')

			 order by idx asc
			limit 20 offset 0""",
		Use("tabDocField", eq=["parent", "fieldtype"], order=["idx"]),
	),
	Case(
		"frappe.get_list DocType",
		"""select `name`
			from `tabDocType`
			where `tabDocType`.`istable` = 0.0 and `tabDocType`.`issingle` = 0.0 and `tabDocType`.`module` = 'Desk'

			 order by `tabDocType`.`modified` DESC
			limit 20 offset 0""",
		Use("tabDocType", eq=["istable", "issingle", "module"], order=["modified"]),
	),
	Case(
		"frappe.get_list DocType",
		"""select `name`
			from `tabDocType`
			where `tabDocType`.`name` like 'Sales%%'

			 order by name asc
			limit 20 offset 0""",
		Use("tabDocType", eq=[], rng=["name"], order=["name"]),
	),
	Case(
		"frappe.get_list ToDo with or_filters",
		"""select `name`
			from `tabToDo`
			where `tabToDo`.`status` = 'Open' and (`tabToDo`.`allocated_to` = 'a@example.com' or `tabToDo`.`assigned_by` = 'a@example.com')

			 order by `tabToDo`.`modified` DESC
			limit 20 offset 0""",
		Use("tabToDo", eq=["status"], order=["modified"], bad=["allocated_to:or", "assigned_by:or"]),
	),
	Case(
		"frappe.get_list Communication with or_filters",
		"""select `name`
			from `tabCommunication`
			where `tabCommunication`.`communication_type` = 'Communication' and (`tabCommunication`.`sender` = 'a@example.com' or `tabCommunication`.`recipients` like '%%a@example.com%%')

			 order by `tabCommunication`.`modified` DESC
			limit 20 offset 0""",
		Use(
			"tabCommunication",
			eq=["communication_type"],
			order=["modified"],
			bad=["sender:or", "recipients:or"],
		),
	),
	Case(
		"frappe.get_list Contact with or_filters",
		"""select `name`
			from `tabContact`
			where (`tabContact`.`email_id` like 'a%%' or `tabContact`.`phone` like '1%%')

			 order by `tabContact`.`modified` DESC
			limit 20 offset 0""",
		Use("tabContact", eq=[], order=["modified"], bad=["email_id:or", "phone:or"]),
	),
	Case(
		"frappe.get_list File with or_filters",
		"""select `name`
			from `tabFile`
			where (`tabFile`.`attached_to_doctype` = 'Item' or `tabFile`.`attached_to_doctype` = 'Website Item')

			 order by `tabFile`.`modified` DESC
			limit 20 offset 0""",
		Use("tabFile", eq=["attached_to_doctype"], order=["modified"]),
	),
	Case(
		"frappe.db.get_value User",
		"""SELECT `enabled` FROM `tabUser` WHERE `name`=%(param1)s ORDER BY `modified` DESC LIMIT 1""",
		Use("tabUser", eq=["name"], order=["modified"]),
	),
	Case(
		"frappe.db.get_value User",
		"""SELECT `name`,`full_name` FROM `tabUser` WHERE `email`=%(param1)s ORDER BY `modified` DESC LIMIT 1""",
		Use("tabUser", eq=["email"], order=["modified"]),
	),
	Case(
		"frappe.db.get_value User",
		"""SELECT `name` FROM `tabUser` WHERE `username`=%(param1)s AND `enabled`=1 ORDER BY `modified` DESC LIMIT 1""",
		Use("tabUser", eq=["username", "enabled"], order=["modified"]),
	),
	Case(
		"frappe.db.get_value Contact",
		"""SELECT `name` FROM `tabContact` WHERE `email_id`=%(param1)s ORDER BY `modified` DESC LIMIT 1""",
		Use("tabContact", eq=["email_id"], order=["modified"]),
	),
	Case(
		"frappe.db.get_value File",
		"""SELECT `name` FROM `tabFile` WHERE `file_url`=%(param1)s AND `attached_to_doctype`=%(param2)s ORDER BY `modified` DESC LIMIT 1""",
		Use("tabFile", eq=["file_url", "attached_to_doctype"], order=["modified"]),
	),
	Case(
		"frappe.db.get_value Email Account",
		"""SELECT `name` FROM `tabEmail Account` WHERE `default_outgoing`=1 AND `enable_outgoing`=1 ORDER BY `modified` DESC LIMIT 1""",
		Use("tabEmail Account", eq=["default_outgoing", "enable_outgoing"], order=["modified"]),
	),
	Case(
		"frappe.db.get_value DocShare",
		"""SELECT `name` FROM `tabDocShare` WHERE `user`=%(param1)s AND `share_doctype`=%(param2)s AND `share_name`=%(param3)s ORDER BY `modified` DESC LIMIT 1""",
		Use("tabDocShare", eq=["user", "share_doctype", "share_name"], order=["modified"]),
	),
	Case(
		"frappe.db.get_value Custom Field",
		"""SELECT `name` FROM `tabCustom Field` WHERE `dt`=%(param1)s AND `fieldname`=%(param2)s ORDER BY `modified` DESC LIMIT 1""",
		Use("tabCustom Field", eq=["dt", "fieldname"], order=["modified"]),
	),
	Case(
		"frappe.db.get_value Property Setter",
		"""SELECT `value` FROM `tabProperty Setter` WHERE `doc_type`=%(param1)s AND `field_name`=%(param2)s AND `property`=%(param3)s ORDER BY `modified` DESC LIMIT 1""",
		Use("tabProperty Setter", eq=["doc_type", "field_name", "property"], order=["modified"]),
	),
	Case(
		"frappe.db.get_value Address",
		"""SELECT `name`,`city` FROM `tabAddress` WHERE `email_id`=%(param1)s AND `is_primary_address`=1 ORDER BY `modified` DESC LIMIT 1""",
		Use("tabAddress", eq=["email_id", "is_primary_address"], order=["modified"]),
	),
	Case(
		"frappe.db.get_value Has Role",
		"""SELECT `name` FROM `tabHas Role` WHERE `parent`=%(param1)s AND `role`=%(param2)s ORDER BY `modified` DESC LIMIT 1""",
		Use("tabHas Role", eq=["parent", "role"], order=["modified"]),
	),
	Case(
		"frappe.db.get_value Workflow Action",
		"""SELECT `name` FROM `tabWorkflow Action` WHERE `reference_doctype`=%(param1)s AND `reference_name`=%(param2)s AND `status`=%(param3)s ORDER BY `modified` DESC LIMIT 1""",
		Use("tabWorkflow Action", eq=["reference_doctype", "reference_name", "status"], order=["modified"]),
	),
	Case(
		"frappe.db.get_value Version",
		"""SELECT `data` FROM `tabVersion` WHERE `ref_doctype`=%(param1)s AND `docname`=%(param2)s ORDER BY `modified` DESC LIMIT 1""",
		Use("tabVersion", eq=["ref_doctype", "docname"], order=["modified"]),
	),
	Case(
		"frappe.db.get_value Route History",
		"""SELECT `name` FROM `tabRoute History` WHERE `user`=%(param1)s AND `route`=%(param2)s ORDER BY `modified` DESC LIMIT 1""",
		Use("tabRoute History", eq=["user", "route"], order=["modified"]),
	),
	Case(
		"frappe.db.get_value Notification Log",
		"""SELECT COUNT(*) FROM `tabNotification Log` WHERE `for_user`=%(param1)s AND `read`=0 ORDER BY `modified` DESC LIMIT 1""",
		Use("tabNotification Log", eq=["for_user", "read"], order=["modified"]),
	),
	Case(
		"frappe.db.get_value ToDo",
		"""SELECT `name` FROM `tabToDo` WHERE `reference_type`=%(param1)s AND `reference_name`=%(param2)s AND `allocated_to`=%(param3)s AND `status`=%(param4)s ORDER BY `modified` DESC LIMIT 1""",
		Use("tabToDo", eq=["reference_type", "reference_name", "allocated_to", "status"], order=["modified"]),
	),
	Case(
		"frappe.db.get_value Comment",
		"""SELECT `name` FROM `tabComment` WHERE `reference_doctype`=%(param1)s AND `comment_type`=%(param2)s AND `comment_email`=%(param3)s ORDER BY `modified` DESC LIMIT 1""",
		Use("tabComment", eq=["reference_doctype", "comment_type", "comment_email"], order=["modified"]),
	),
	Case(
		"frappe.db.get_value Scheduled Job Type",
		"""SELECT `name`,`stopped` FROM `tabScheduled Job Type` WHERE `method`=%(param1)s ORDER BY `modified` DESC LIMIT 1""",
		Use("tabScheduled Job Type", eq=["method"], order=["modified"]),
	),
	Case(
		"frappe.db.get_value User Permission",
		"""SELECT `for_value` FROM `tabUser Permission` WHERE `user`=%(param1)s AND `allow`=%(param2)s ORDER BY `modified` DESC LIMIT 1""",
		Use("tabUser Permission", eq=["user", "allow"], order=["modified"]),
	),
	Case(
		"frappe.db.get_value Session Default",
		"""SELECT `ref_doctype` FROM `tabSession Default` WHERE `parent`=%(param1)s ORDER BY `modified` DESC LIMIT 1""",
		Use("tabSession Default", eq=["parent"], order=["modified"]),
	),
	Case(
		"frappe.db.count ToDo",
		"""SELECT COUNT(*) FROM `tabToDo` WHERE `status`='Open' AND `allocated_to`='a@example.com'""",
		Use("tabToDo", eq=["status", "allocated_to"]),
	),
	Case(
		"frappe.db.count Notification Log",
		"""SELECT COUNT(*) FROM `tabNotification Log` WHERE `for_user`='a@example.com' AND `read`=0""",
		Use("tabNotification Log", eq=["for_user", "read"]),
	),
	Case(
		"frappe.db.count Error Log",
		"""SELECT COUNT(*) FROM `tabError Log` WHERE `seen`=0""",
		Use("tabError Log", eq=["seen"]),
	),
	Case(
		"frappe.db.count Email Queue",
		"""SELECT COUNT(*) FROM `tabEmail Queue` WHERE `status`='Not Sent'""",
		Use("tabEmail Queue", eq=["status"]),
	),
	Case(
		"frappe.db.count Communication",
		"""SELECT COUNT(*) FROM `tabCommunication` WHERE `reference_doctype`='Issue' AND `reference_name`='ISS-1'""",
		Use("tabCommunication", eq=["reference_doctype", "reference_name"]),
	),
	Case(
		"frappe.db.count Comment",
		"""SELECT COUNT(*) FROM `tabComment` WHERE `reference_doctype`='Task' AND `reference_name`='T-1' AND `comment_type`='Comment'""",
		Use("tabComment", eq=["reference_doctype", "reference_name", "comment_type"]),
	),
]
