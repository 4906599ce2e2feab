"""The shared search conformance suite on a real OpenSearch 2.19 node.

The session's node (``tests/opensearch_node``, with the ``analysis-icu`` plugin), or the
cluster ``SOHOA_TEST_OPENSEARCH_URL`` names (for example
``https://admin:secret@localhost:9200``; certificates are not verified there); then again on
a node without ICU. Each test gets its own uuid-named alias and versions, deleted afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from search.opensearch import OpenSearchBackend
from tests.integration.conformance import SearchBackendConformance
from tests.integration.opensearch_support import drop_all, make_backend


class TestOpenSearchConformance(SearchBackendConformance):
    """Every semantic test of the SQLite backend, unchanged."""


class TestOpenSearchConformanceWithoutICU(SearchBackendConformance):
    """The same suite on a node without the ``analysis-icu`` plugin (a stock OpenSearch
    image): the template falls back to ``asciifolding`` and nothing a user sees changes."""

    @pytest.fixture
    def backend(self, stock_opensearch_url: str) -> Iterator[OpenSearchBackend]:
        b = make_backend(stock_opensearch_url)
        yield b
        drop_all(b)
