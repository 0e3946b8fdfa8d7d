"""Key templates of perf_engine's cache, all inside the site's prefix (`<db_name>|`).

A list or report key embeds the generation of every DocType it reads, so bumping one
counter makes every such key unreachable at once; the orphaned values expire by TTL. A
document's key has no generation: it is filled only under a lease (DOC_LEASE) taken on the
miss, which invalidation deletes with the value, so a load that started before a change
committed can never store its old copy after the change's invalidation.
"""

import hashlib
import json

DOC = "perf_engine:doc:{doctype}:{name}"
GENERATION = "perf_engine:gen:{doctype}"
LIST = "perf_engine:list:{doctype}:{generation}:{digest}"
REPORT = "perf_engine:report:{report}:{generations}:{digest}"
DOC_LEASE = "perf_engine:lease:{doctype}:{name}"
LINK_MAP = "perf_engine:link_map"
LINK_MAP_VERSION = "perf_engine:link_map:version"
WARM_LOCK = "perf_engine:lock:warm"


def digest(params: dict) -> str:
	"""A short stable hash of query parameters, so equal queries share a key."""
	encoded = json.dumps(params, sort_keys=True, default=str, separators=(",", ":"))
	return hashlib.sha1(encoded.encode()).hexdigest()[:16]
