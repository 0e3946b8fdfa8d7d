"""The SQL reader on a corpus of real statement shapes: every table use exactly as expected."""

import pytest

from perf_engine.core.indexes.sql import read
from tests.sql_corpus import CASES, CATALOG
from tests.sql_corpus.model import reading_of


@pytest.mark.parametrize("case", CASES, ids=[f"{i:03d} {case.source}" for i, case in enumerate(CASES)])
def test_corpus_statement(case):
	"""Tables and their equality, range, join, ORDER BY, GROUP BY and unindexable columns match."""
	reading = read(case.sql, CATALOG.get)
	assert reading.unread is None
	assert sorted(reading_of(use) for use in reading.uses) == case.expected()
