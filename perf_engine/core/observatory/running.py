"""What the site's database runs now: statements over the threshold, lock waits and blocking chains.

One refresh reads the site's threads (one process-list query), the InnoDB transactions (one
query), the InnoDB lock waits (one query) and, when a site thread waits for a metadata lock,
the metadata lock holders; the blockers outside the site's threads are looked up by id. Its
cost is bounded by the number of threads (at most MAX_THREADS), never by the data. InnoDB
refills its transaction and lock tables only when nobody read them for 0.1 s, so a refresh
sees one consistent copy, and a page refreshing every few seconds a fresh one each time.
"""

import time

import pymysql

from perf_engine.core.observatory import blocking, threads
from perf_engine.core.observatory.site import Site

RUNNING_QUERY_S = 5


def running(conn: pymysql.Connection, site: Site, threshold_s: float = RUNNING_QUERY_S) -> dict:
	"""The site's statements running `threshold_s` or longer, every lock wait of its threads, the chains."""
	started = time.monotonic()
	own = threads.site_threads(conn, site)
	transactions = threads.transactions(conn)
	notes = []
	if transactions is None:
		notes.append(threads.no_process_privilege(conn))
	for thread in own:
		thread.transaction = (transactions or {}).get(thread.thread_id)
	own_ids = {t.thread_id for t in own}
	innodb = blocking.innodb_waits(conn) if transactions is not None else None
	waits = [w for w in innodb or [] if w.waiter in own_ids]
	metadata, metadata_note = blocking.metadata_waits(conn, site, own)
	waits += metadata
	if metadata_note:
		notes.append(metadata_note)
	by_id = {t.thread_id: t for t in own}
	outside = {w.blocker for w in waits if w.blocker is not None} - own_ids
	for thread_id, thread in threads.threads_by_id(conn, outside).items():
		thread.transaction = (transactions or {}).get(thread_id)
		by_id[thread_id] = thread
	queries = [t for t in own if not t.idle and not t.system and t.time_s >= threshold_s]
	return {
		"site": {"database": site.database, "user": site.user},
		"threshold_s": threshold_s,
		"queries": [t.as_dict() for t in queries],
		"threads": len(own),
		"idle_in_transaction": sum(1 for t in own if t.idle and t.transaction),
		"lock_waits": [lock_wait(w, by_id, site) for w in sorted(waits, key=lambda w: -w.wait_s)],
		"chains": blocking.chains(waits, by_id, site),
		"notes": notes,
		"read_ms": round((time.monotonic() - started) * 1000, 1),
	}


def lock_wait(wait: blocking.LockWait, by_id: dict, site: Site) -> dict:
	"""A wait with its waiter's statement and its blocker as the site may see it."""
	waiter = by_id.get(wait.waiter)
	return {
		**blocking.wait_dict(wait),
		"waiter_statement": waiter.statement if waiter else "",
		"blocker_doing": blocking.describe(wait.blocker, by_id, site)["doing"]
		if wait.blocker is not None
		else "unknown",
	}
