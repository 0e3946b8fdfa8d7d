"""The SQL reader's corpus: real statement shapes, each with the table uses it must yield."""

from tests.sql_corpus import digests, erpnext, frappe_generated, frappe_raw, slow_log
from tests.sql_corpus.catalog import CATALOG

CASES = frappe_generated.CASES + frappe_raw.CASES + erpnext.CASES + digests.CASES + slow_log.CASES

__all__ = ["CASES", "CATALOG"]
