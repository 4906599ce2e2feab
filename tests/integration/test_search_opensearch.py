"""The shared search conformance suite on OpenSearch.

Always against osmem-server (an in-memory OpenSearch-compatible server, one clone per
test); also against a real cluster when ``SOHOA_TEST_OPENSEARCH_URL`` is set (for
example ``https://admin:secret@localhost:9200``; certificates are not verified there).
Each test gets its own uuid-named alias and versions, deleted afterwards.
"""

from __future__ import annotations

from tests.integration.search_conformance import SearchBackendConformance


class TestOpenSearchConformance(SearchBackendConformance):
    """Every semantic test of the SQLite backend, unchanged."""
