"""Which bench and site a metrics scrape speaks for: the `bench` and `site` labels of every series.

The bench is `perf_engine_bench` from the bench's common_site_config.json when set (one name for
every site and every process of the bench, whatever host or container serves it), else this host's
name and Frappe's `bench_id` (which Frappe derives from the bench's path when unset): the same for
every site of a bench on one host, and different for two benches that share a path on two hosts.
"""

import socket
from collections.abc import Mapping
from dataclasses import dataclass

BENCH_CONFIG_KEY = "perf_engine_bench"


@dataclass(frozen=True)
class Identity:
	"""The labels every series of one scrape carries; site is empty when no site was given."""

	bench: str
	site: str = ""

	def labels(self) -> dict[str, str]:
		return {"bench": self.bench, "site": self.site}


def bench_name(conf: Mapping, bench_id: str | None) -> str:
	"""The configured name, else `<host>:<bench_id>`, else the host alone (no bench given)."""
	if configured := str(conf.get(BENCH_CONFIG_KEY) or "").strip():
		return configured
	host = socket.gethostname()
	return f"{host}:{bench_id}" if bench_id else host


def of(conf: Mapping, bench_id: str | None, site: str | None) -> Identity:
	"""The identity of a scrape of `site` on the bench whose config and bench_id are given."""
	return Identity(bench_name(conf, bench_id), site or "")
