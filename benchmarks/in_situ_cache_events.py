"""perf_engine's cache document events measured where they run: inside a bench, on a real site.

Run with the bench's own Python from its sites folder, on a site with perf_engine installed
(`bench_cache_in_situ.py` does this for `python -m benchmarks.run`):

    cd ~/frappe-bench/sites
    PYTHONPATH=/path/to/perf_engine ../env/bin/python /path/to/perf_engine/benchmarks/in_situ_cache_events.py \
        perf-engine-test.localhost [--quick]

It inserts and saves ToDos, each step committed, as Desk does, and measures (1) every call of
the doc event `perf_engine.services.cache.invalidate` and of its after-commit work, both as they are
called by Frappe, and (2) the whole insert + save with the hook and with perf_engine's
document hooks taken out, the two taking turns cycle by cycle so the host's drift reaches
both alike; the added cost is the median of each pair's difference. It deletes its ToDos
afterwards. Prints a Markdown section.
"""

import statistics
import sys
import time

import frappe

MARK = "perf_engine in-situ benchmark"
WARM_UP = 10


class Timings:
	"""Every doc event call, and every after-commit call with the events of its transaction."""

	def __init__(self):
		self.events: list[float] = []
		self.commits: list[tuple[float, list[float]]] = []
		self.open: list[float] = []
		self.recording = False

	def wrap(self, module) -> None:
		"""Time the functions Frappe calls: the hook by its dotted path, the callback by its name."""
		event, commit = module.invalidate, module.commit_changes

		def timed_event(*args, **kwargs):
			started = time.perf_counter()
			try:
				return event(*args, **kwargs)
			finally:
				self.open.append(time.perf_counter() - started)

		def timed_commit(*args, **kwargs):
			started = time.perf_counter()
			try:
				return commit(*args, **kwargs)
			finally:
				if self.recording and self.open:
					self.commits.append((time.perf_counter() - started, self.open))
				self.open = []

		module.invalidate, module.commit_changes = timed_event, timed_commit

	def per_event(self) -> list[float]:
		"""Each event's own time plus its share of its transaction's after-commit work."""
		return [event + commit / len(events) for commit, events in self.commits for event in events]


def without_perf_engine(hooks: dict) -> dict:
	return {
		doctype: {
			event: [h for h in handlers if not h.startswith("perf_engine.")]
			for event, handlers in events.items()
		}
		for doctype, events in hooks.items()
	}


def insert_and_save(number: int) -> tuple[float, str]:
	"""A ToDo inserted and committed, then edited, saved and committed: seconds taken, and its name."""
	started = time.perf_counter()
	todo = frappe.get_doc({"doctype": "ToDo", "description": f"{MARK} {number}"}).insert()
	frappe.db.commit()
	todo.description = f"{MARK} {number} saved"
	todo.save()
	frappe.db.commit()
	return time.perf_counter() - started, todo.name


def ms(seconds: float) -> str:
	return f"{seconds * 1000:.3f} ms"


def p95(values: list[float]) -> float:
	return statistics.quantiles(values, n=20)[-1]


def run(quick: bool) -> str:
	import perf_engine.services.cache

	if "perf_engine" not in frappe.get_installed_apps():
		raise SystemExit(f"perf_engine is not installed on {frappe.local.site}: its hooks would not run")
	pairs = 30 if quick else 400
	timings = Timings()
	timings.wrap(perf_engine.services.cache)
	with_hook = frappe.get_doc_hooks()
	hooks = {"with": with_hook, "without": without_perf_engine(with_hook)}
	cycles: dict[str, list[float]] = {"with": [], "without": []}
	names = []
	try:
		for label in hooks:
			frappe.local.doc_events_hooks = hooks[label]
			names += [insert_and_save(i)[1] for i in range(WARM_UP)]
		for pair in range(pairs):
			for label in ("with", "without") if pair % 2 == 0 else ("without", "with"):
				frappe.local.doc_events_hooks = hooks[label]
				timings.recording = label == "with"
				seconds, name = insert_and_save(pair)
				cycles[label].append(seconds)
				names.append(name)
				timings.recording = False
	finally:
		frappe.local.doc_events_hooks = with_hook
		frappe.db.delete("Version", {"ref_doctype": "ToDo", "docname": ["in", names or [""]]})
		frappe.db.delete("ToDo", {"name": ["in", names or [""]]})
		frappe.db.commit()
	events = [event for _, group in timings.commits for event in group]
	commits = [commit for commit, _ in timings.commits]
	per_event = timings.per_event()
	with_ms, without_ms = statistics.median(cycles["with"]), statistics.median(cycles["without"])
	paired = statistics.median(a - b for a, b in zip(cycles["with"], cycles["without"], strict=True))
	added = paired / without_ms * 100
	return (
		"## Cache document events in situ, inside a bench (issue 16)\n\n"
		f"{len(cycles['with'])} ToDo insert + save cycles with perf_engine's hooks and {len(cycles['without'])} "
		f"without, taking turns, each step committed, on site `{frappe.local.site}`; "
		f"{len(events) / len(cycles['with']):.1f} events per cycle (ToDo insert, ToDo save, and the save's Version).\n\n"
		"| measure | median | p95 |\n|---|---|---|\n"
		f"| doc event `perf_engine.services.cache.invalidate` (records the change) | {ms(statistics.median(events))} | {ms(p95(events))} |\n"
		f"| after-commit work per transaction (one command, one round trip) | {ms(statistics.median(commits))} | {ms(p95(commits))} |\n"
		f"| **per event in total** (its call + its share of the after-commit work) | **{ms(statistics.median(per_event))}** | {ms(p95(per_event))} |\n"
		f"| ToDo insert + save, with the hooks | {ms(with_ms)} | {ms(p95(cycles['with']))} |\n"
		f"| ToDo insert + save, without perf_engine's hooks (baseline) | {ms(without_ms)} | {ms(p95(cycles['without']))} |\n"
		f"| added by the hooks: median of each pair's difference | {ms(paired)} | |\n\n"
		f"Per event in total: **{ms(statistics.median(per_event))}** median (goal <= 0.2 ms); added to an insert + "
		f"save: **{added:+.1f} %** of the baseline median (goal < 5 %).\n"
	)


def main() -> None:
	frappe.init(site=sys.argv[1], sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		print(run(quick="--quick" in sys.argv))
	finally:
		frappe.destroy()


if __name__ == "__main__":
	main()
