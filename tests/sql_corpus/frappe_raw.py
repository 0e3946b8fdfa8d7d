"""Hand-written SQL from Frappe 15's own code (`frappe.db.sql` calls), templates filled in as
they run: the timeline, naming series, email queue, contacts and addresses, user search,
energy points, user settings, link checks on delete, log clean-up."""

from tests.sql_corpus.model import Case, Use

CASES = [
	Case(
		"frappe.desk.form.load get_communication_data (timeline)",
		"""
		SELECT *
		FROM ((
			SELECT C.name, C.communication_type, C.communication_date, C.content, C.sender
			FROM `tabCommunication` as C
			WHERE C.communication_type IN ('Communication', 'Feedback', 'Automated Message')
			AND (C.reference_doctype = %(doctype)s AND C.reference_name = %(name)s)
		) UNION (
			SELECT C.name, C.communication_type, C.communication_date, C.content, C.sender
			FROM `tabCommunication` as C
			INNER JOIN `tabCommunication Link` ON C.name=`tabCommunication Link`.parent
			WHERE C.communication_type IN ('Communication', 'Feedback', 'Automated Message')
			AND `tabCommunication Link`.link_doctype = %(doctype)s AND `tabCommunication Link`.link_name = %(name)s
		)) AS combined
		ORDER BY communication_date DESC
		LIMIT %(limit)s
		OFFSET %(start)s""",
		Use("tabCommunication", eq=["communication_type", "reference_doctype", "reference_name"]),
		Use("tabCommunication", eq=["communication_type"], join=["name"]),
		Use("tabCommunication Link", eq=["link_doctype", "link_name"], join=["parent"]),
	),
	Case(
		"frappe.desk.form.load timeline after a date, for a User",
		"""SELECT C.name, C.subject FROM `tabCommunication` as C
		WHERE C.communication_type IN ('Communication', 'Feedback', 'Automated Message')
		AND (C.reference_doctype = 'User' AND C.reference_name = 'a@example.com')
		AND C.communication_date > '2024-05-01 10:00:00'
		AND NOT (C.reference_doctype='User' AND C.communication_type='Communication')""",
		Use(
			"tabCommunication",
			eq=["communication_type", "reference_doctype", "reference_name"],
			rng=["communication_date"],
		),
	),
	Case(
		"frappe.model.naming update series",
		"UPDATE `tabSeries` SET `current` = `current` + 1 WHERE `name`=%s",
		Use("tabSeries", eq=["name"]),
	),
	Case(
		"frappe.model.naming last name by regex",
		"""SELECT `name` FROM `tabToDo`
			WHERE `name` REGEXP %s
			ORDER BY length(name) DESC,
			`name` DESC LIMIT 1""",
		Use("tabToDo"),  # ORDER BY length(name), name: a filesort, no sort column
	),
	Case(
		"frappe.email.queue get_queue",
		"""select
			name, sender
		from
			`tabEmail Queue`
		where
			(status='Not Sent' or status='Partially Sent') and
			(send_after is null or send_after < %(now)s)
		order
			by priority desc, retry asc, creation asc
		limit 500""",
		Use("tabEmail Queue", eq=["status"], rng=["send_after"], order=["priority", "retry", "creation"]),
	),
	Case(
		"frappe.email.queue emails sent today",
		"""select COUNT(*) from `tabEmail Queue` where
			status='Sent' and EXTRACT(YEAR_MONTH FROM `creation`) = EXTRACT(YEAR_MONTH FROM NOW())""",
		Use("tabEmail Queue", eq=["status"], bad=["creation:function"]),
	),
	Case(
		"frappe.model.utils.user_settings get",
		"""select data from `__UserSettings`
			where `user`=%s and `doctype`=%s""",
		Use("__UserSettings", eq=["user", "doctype"]),
	),
	Case(
		"frappe.model.utils.user_settings update",
		"update __UserSettings set data=%s where doctype=%s and user=%s",
		Use("__UserSettings", eq=["doctype", "user"]),
	),
	Case(
		"frappe.model.delete_doc linked documents",
		"""select `name`, `docstatus` from `tabToDo` where
				`reference_type`=%s and `reference_name`=%s""",
		Use("tabToDo", eq=["reference_type", "reference_name"]),
	),
	Case(
		"frappe.model.delete_doc linked child rows",
		"""select `name`, `docstatus`, `parent`, `parenttype` from `tabDynamic Link` where
				`link_doctype`=%s and `link_name`=%s""",
		Use("tabDynamic Link", eq=["link_doctype", "link_name"]),
	),
	Case(
		"frappe.model.delete_doc clear references",
		"""update
			`tabActivity Log`
		set
			reference_doctype=NULL, reference_name=NULL
		where
			reference_doctype=%s and reference_name=%s""",
		Use("tabActivity Log", eq=["reference_doctype", "reference_name"]),
	),
	Case(
		"frappe.social energy points per user",
		"""
		SELECT
			SUM(CASE WHEN `type` != 'Review' THEN `points` ELSE 0 END) AS energy_points,
			SUM(CASE WHEN `type` = 'Review' THEN `points` ELSE 0 END) AS review_points,
			SUM(CASE
				WHEN `type`='Review' AND `points` < 0 AND `owner` = %(user)s
				THEN ABS(`points`)
				ELSE 0
			END) as given_points,
			`user`
		FROM `tabEnergy Point Log`
		WHERE `creation` > %(from_date)s
		GROUP BY `user`
		ORDER BY `energy_points` DESC""",
		Use("tabEnergy Point Log", rng=["creation"], group=["user"]),
	),
	Case(
		"frappe.contacts contact linked to a document (scalar subquery)",
		"""select parent,
			IFNULL((select is_primary_contact from tabContact c where c.name = dl.parent), 0)
				as is_primary_contact
		from
			`tabDynamic Link` dl
		where
			dl.link_doctype=%s and
			dl.link_name=%s and
			dl.parenttype = 'Contact' """,
		Use("tabDynamic Link", eq=["link_doctype", "link_name", "parenttype"]),
		Use("tabContact", eq=["name"]),
	),
	Case(
		"frappe.contacts contact_query (comma join, search)",
		"""select
			`tabContact`.name, `tabContact`.full_name, `tabContact`.company_name
		from
			`tabContact`, `tabDynamic Link`
		where
			`tabDynamic Link`.parent = `tabContact`.name and
			`tabDynamic Link`.parenttype = 'Contact' and
			`tabDynamic Link`.link_doctype = %(link_doctype)s and
			`tabDynamic Link`.link_name = %(link_name)s and
			`tabContact`.`full_name` like %(txt)s
		order by
			if(locate(%(_txt)s, `tabContact`.full_name), locate(%(_txt)s, `tabContact`.company_name), 99999),
			`tabContact`.idx desc, `tabContact`.full_name
		limit %(start)s, %(page_len)s""",
		Use("tabContact", join=["name"]),  # ORDER BY if(locate(...)), idx, full_name: a filesort
		Use("tabDynamic Link", eq=["parenttype", "link_doctype", "link_name"], join=["parent"]),
	),
	Case(
		"frappe.contacts addresses of a link",
		"""
			SELECT `tabAddress`.name
			FROM `tabAddress`, `tabDynamic Link`
			WHERE `tabDynamic Link`.parenttype='Address'
				AND `tabDynamic Link`.parent=`tabAddress`.name
				AND `tabDynamic Link`.link_doctype = %(link_doctype)s
				AND `tabDynamic Link`.link_name = %(link_name)s
		""",
		Use("tabAddress", join=["name"]),
		Use("tabDynamic Link", eq=["parenttype", "link_doctype", "link_name"], join=["parent"]),
	),
	Case(
		"frappe.contacts.address default address",
		""" SELECT
				addr.name
			FROM
				`tabAddress` addr, `tabDynamic Link` dl
			WHERE
				dl.parent = addr.name and dl.link_doctype = %s and
				dl.link_name = %s and ifnull(addr.disabled, 0) = 0 and
				is_primary_address = %s
			""",
		Use("tabAddress", eq=["is_primary_address"], join=["name"], bad=["disabled:function"]),
		Use("tabDynamic Link", eq=["link_doctype", "link_name"], join=["parent"]),
	),
	Case(
		"frappe.contacts.address address_query",
		"""select
			`tabAddress`.name, `tabAddress`.city, `tabAddress`.country
		from
			`tabAddress`
		join `tabDynamic Link`
			on (`tabDynamic Link`.parent = `tabAddress`.name and `tabDynamic Link`.parenttype = 'Address')
		where
			`tabDynamic Link`.link_doctype = %(link_doctype)s and
			`tabDynamic Link`.link_name = %(link_name)s and
			ifnull(`tabAddress`.disabled, 0) = 0 and
			(`tabAddress`.`city` like %(txt)s or `tabAddress`.`address_line1` like %(txt)s)
		order by
			case
				when locate(%(_txt)s, `tabAddress`.name) != 0
				then locate(%(_txt)s, `tabAddress`.name)
				else 99999
			end,
			`tabAddress`.idx desc, `tabAddress`.name
		limit %(start)s, %(page_len)s""",
		Use(
			"tabAddress",
			join=["name"],  # ORDER BY CASE ..., idx, name: a filesort
			bad=["disabled:function", "city:or", "address_line1:or"],
		),
		Use("tabDynamic Link", eq=["parenttype", "link_doctype", "link_name"], join=["parent"]),
	),
	Case(
		"frappe.desk.doctype.event get_events",
		"""
		SELECT `tabEvent`.name, `tabEvent`.subject, `tabEvent`.starts_on, `tabEvent`.ends_on
		FROM `tabEvent`
		LEFT JOIN `tabEvent Participants`
			ON `tabEvent`.name = `tabEvent Participants`.parent
		WHERE (
				(
					(date(`tabEvent`.starts_on) BETWEEN date(%(start)s) AND date(%(end)s))
					OR (date(`tabEvent`.ends_on) BETWEEN date(%(start)s) AND date(%(end)s))
					OR (
						date(`tabEvent`.starts_on) <= date(%(start)s)
						AND date(`tabEvent`.ends_on) >= date(%(end)s)
					)
				)
				OR (
					date(`tabEvent`.starts_on) <= date(%(start)s)
					AND `tabEvent`.repeat_this_event=1
					AND coalesce(`tabEvent`.repeat_till, '3000-01-01') > date(%(start)s)
				)
			)
		AND `tabEvent`.event_type='Public'
		ORDER BY `tabEvent`.starts_on""",
		Use(
			"tabEvent",
			eq=["event_type"],
			order=["starts_on"],
			bad=["starts_on:or", "ends_on:or", "repeat_this_event:or", "repeat_till:or"],
		),
		Use("tabEvent Participants", eq=["parent"]),
	),
	Case(
		"frappe.desk.doctype.tag update _user_tags",
		"update `tabToDo` set _user_tags=%s where name=%s",
		Use("tabToDo", eq=["name"]),
	),
	Case(
		"frappe.email.inbox email flag queue",
		"""select name, action from `tabEmail Flag Queue`
				where communication = %(name)s and is_completed=0""",
		Use("tabEmail Flag Queue", eq=["communication", "is_completed"]),
	),
	Case(
		"frappe.core.user rename references",
		"""UPDATE `tabToDo`
					SET `allocated_to` = %s
					WHERE `allocated_to` = %s""",
		Use("tabToDo", eq=["allocated_to"]),
	),
	Case(
		"frappe.core.user user_query (link search)",
		"""SELECT `name`, CONCAT_WS(' ', first_name, middle_name, last_name)
		FROM `tabUser`
		WHERE `enabled`=1
			AND `user_type` != 'Website User'
			AND `docstatus` < 2
			AND `name` NOT IN ('Administrator', 'Guest')
			AND (`name` LIKE %(txt)s
				OR CONCAT_WS(' ', first_name, middle_name, last_name) LIKE %(txt)s)
		ORDER BY
			CASE WHEN `name` LIKE %(txt)s THEN 0 ELSE 1 END,
			CASE WHEN concat_ws(' ', first_name, middle_name, last_name) LIKE %(txt)s
				THEN 0 ELSE 1 END,
			NAME asc,
			full_name ASC
		LIMIT %(page_len)s OFFSET %(start)s""",
		Use(
			"tabUser",
			eq=["enabled"],
			rng=["docstatus"],
			# ORDER BY CASE ..., NAME, full_name: a filesort, no sort column
			bad=["name:or", "first_name:or", "middle_name:or", "last_name:or"],
		),
	),
	Case(
		"frappe.core.user simultaneous sessions",
		"""SELECT SUM(`simultaneous_sessions`)
		FROM `tabUser`
		WHERE `enabled` = 1
		AND `user_type` = 'System User'
		AND `name` NOT IN (%s, %s)""",
		Use("tabUser", eq=["enabled", "user_type"]),
	),
	Case(
		"frappe.core.user active system users",
		"""select count(*) from `tabUser`
		where enabled = 1 and user_type != 'Website User'
		and name not in (%s, %s)
		and hour(timediff(now(), last_active)) < 72""",
		Use("tabUser", eq=["enabled"], bad=["last_active:function"]),
	),
	Case(
		"frappe.core.comment update _comments",
		"""update `tabTask` set `_comments`=%s where name=%s""",
		Use("tabTask", eq=["name"]),
	),
	Case(
		"frappe.core.log_settings keep recent rows",
		"""INSERT INTO `tabError Log_temp`
				SELECT * FROM `tabError Log`
				WHERE `tabError Log`.`modified` > NOW() - INTERVAL '30' DAY""",
		Use("tabError Log", rng=["modified"]),
	),
	Case(
		"frappe.email.doctype.email_group member count",
		"""select count(*) from `tabEmail Group Member`
			where email_group=%s""",
		Use("tabEmail Group Member", eq=["email_group"]),
	),
	Case(
		"frappe.desk.notifications doctype modules",
		"""select name, module from tabDocType""",
		Use("tabDocType"),
	),
	Case(
		"frappe.desk.reportview count over a grouped list",
		"""select count(*) from ( select `tabToDo`.`status`
			from `tabToDo`
			where `tabToDo`.`allocated_to` = 'a@example.com'
			 group by `tabToDo`.`status` ) p""",
		Use("tabToDo", eq=["allocated_to"], group=["status"]),
	),
	Case(
		"frappe.share get_shared (DocShare)",
		"""select `share_name` from `tabDocShare`
			where (`user` = 'a@example.com' or `everyone` = 1) and `share_doctype` = 'ToDo' and `read` = 1""",
		Use("tabDocShare", eq=["share_doctype", "read"], bad=["user:or", "everyone:or"]),
	),
	Case(
		"frappe.desk.search search_widget (link field)",
		"""select `tabCustomer`.`name`, `tabCustomer`.`customer_name`
			from `tabCustomer`
			where `tabCustomer`.`docstatus` < 2 and `tabCustomer`.`disabled` = 0
			and ((`tabCustomer`.`name` like '%%acme%%' or `tabCustomer`.`customer_name` like '%%acme%%'))
			order by if(locate('acme', `tabCustomer`.`name`), locate('acme', `tabCustomer`.`name`), 99999),
			`tabCustomer`.`idx` desc, `tabCustomer`.`modified` desc
			limit 10 offset 0""",
		Use(
			"tabCustomer",
			eq=["disabled"],
			rng=["docstatus"],  # ORDER BY if(locate(...)), idx, modified: a filesort
			bad=["name:or", "customer_name:or"],
		),
	),
	Case(
		"frappe.permissions has_role (child table)",
		"""select distinct `role` from `tabHas Role`
			where `parent` = 'a@example.com' and `parenttype` = 'User' and `role` not in ('All', 'Guest')""",
		Use("tabHas Role", eq=["parent", "parenttype"]),
	),
	Case(
		"frappe.desk.reportview get_stats (tags)",
		"""select `_user_tags`, count(*) as count from `tabToDo`
			where `tabToDo`.`status` = 'Open' and ifnull(`_user_tags`, '') != ''
			group by `_user_tags` order by count desc limit 50""",
		Use("tabToDo", eq=["status"], group=["_user_tags"]),
	),
	Case(
		"frappe.desk.listview get_group_by_count (assigned to)",
		"""select `tabToDo`.`allocated_to` as name, count(*) as count
			from `tabToDo`
			where `tabToDo`.`status` != 'Cancelled'
				and `tabToDo`.`reference_type` = 'Task'
				and `tabToDo`.`reference_name` in (select `name` from `tabTask` where `status` = 'Open')
			group by `tabToDo`.`allocated_to`
			order by count desc
			limit 50""",
		Use("tabToDo", eq=["reference_type", "reference_name"], group=["allocated_to"]),
		Use("tabTask", eq=["status"]),
	),
	Case(
		"frappe.core.doctype.scheduled_job_type last execution",
		"""select `creation`, `status` from `tabScheduled Job Log`
			where `scheduled_job_type` = 'frappe.email.queue.flush'
			order by `creation` desc limit 1""",
		Use("tabScheduled Job Log", eq=["scheduled_job_type"], order=["creation"]),
	),
	Case(
		"frappe.core.doctype.version docinfo versions",
		"""select `name`, `owner`, `creation`, `data` from `tabVersion`
			where `ref_doctype` = 'Sales Invoice' and `docname` = 'SINV-0001'
			order by `creation` desc limit 10""",
		Use("tabVersion", eq=["ref_doctype", "docname"], order=["creation"]),
	),
	Case(
		"frappe.desk.form.load docinfo assignments",
		"""select `name`, `allocated_to` as owner, `description`, `status` from `tabToDo`
			where `reference_type` = 'Sales Invoice' and `reference_name` = 'SINV-0001'
			and `status` not in ('Cancelled', 'Closed') and `allocated_to` is not null
			limit 100""",
		Use("tabToDo", eq=["reference_type", "reference_name"]),
	),
	Case(
		"frappe.desk.form.load docinfo attachments",
		"""select `name`, `file_name`, `file_url`, `is_private` from `tabFile`
			where `attached_to_name` = 'SINV-0001' and `attached_to_doctype` = 'Sales Invoice'
			and `is_folder` = 0""",
		Use("tabFile", eq=["attached_to_name", "attached_to_doctype", "is_folder"]),
	),
	Case(
		"frappe.core.doctype.deleted_document restore check",
		"""select name from `tabDeleted Document`
			where deleted_doctype = 'Sales Invoice' and deleted_name = 'SINV-0001' and restored = 0
			order by creation desc limit 1""",
		Use("tabDeleted Document", eq=["deleted_doctype", "deleted_name", "restored"], order=["creation"]),
	),
	Case(
		"frappe.utils.global_search delete for doctype",
		"""delete from `__global_search` where doctype = 'Sales Invoice' and name in ('SINV-0001', 'SINV-0002')""",
		Use("__global_search", eq=["doctype", "name"]),
	),
	Case(
		"frappe.utils.global_search search (fulltext)",
		"""select `doctype`, `name`, `content` from `__global_search`
			where match(`content`) against ('acme*' in boolean mode)
			and `published` = 1
			limit 20 offset 0""",
		Use("__global_search", eq=["published"]),
	),
]
