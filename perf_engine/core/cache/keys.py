"""Key templates of perf_engine's cache, all inside the site's prefix (`<db_name>|`).

A list or report key embeds the generation of every DocType it reads, so bumping one
counter makes every such key unreachable at once; the orphaned values expire by TTL.
"""

import hashlib
import json

DOC = "perf_engine:doc:{doctype}:{name}"
GENERATION = "perf_engine:gen:{doctype}"
LIST = "perf_engine:list:{doctype}:{generation}:{digest}"
REPORT = "perf_engine:report:{report}:{generations}:{digest}"
LINK_MAP = "perf_engine:link_map"
WARM_LOCK = "perf_engine:lock:warm"


def digest(params: dict) -> str:
	"""A short stable hash of query parameters, so equal queries share a key."""
	encoded = json.dumps(params, sort_keys=True, default=str, separators=(",", ":"))
	return hashlib.sha1(encoded.encode()).hexdigest()[:16]
