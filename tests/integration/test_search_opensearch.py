"""The shared search conformance suite on OpenSearch.

Always against osmem-server (an in-memory OpenSearch-compatible server, one clone per
test); also against a real cluster when ``SOHOA_TEST_OPENSEARCH_URL`` is set (for
example ``https://admin:secret@localhost:9200``; certificates are not verified there).
Each test gets its own uuid-named alias and versions, deleted afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from search.opensearch import OpenSearchBackend, RetryPolicy, make_client
from tests.integration.search_conformance import SearchBackendConformance

REAL_URL = os.environ.get("SOHOA_TEST_OPENSEARCH_URL")
ENGINES = [
    "osmem",
    pytest.param("real", marks=pytest.mark.skipif(not REAL_URL, reason="SOHOA_TEST_OPENSEARCH_URL not set")),
]
FAST_RETRY = RetryPolicy(attempts=3, initial_backoff=0.01, max_backoff=0.05)


def engine_url(request: pytest.FixtureRequest) -> str:
    if request.param == "osmem":
        return request.getfixturevalue("osmem_clone").url
    assert REAL_URL is not None
    return REAL_URL


def make_backend(url: str, index: str) -> OpenSearchBackend:
    return OpenSearchBackend(make_client(url, verify_certs=False), index, policy=FAST_RETRY)


def drop_all(backend: OpenSearchBackend) -> None:
    backend.client.indices.delete(index=f"{backend.index}-*", ignore=[404], expand_wildcards="all")
    backend.client.indices.delete_index_template(name=backend.index, ignore=[404])
    backend.close()


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return engine_url(request)


@pytest.fixture
def backend(engine: str) -> Iterator[OpenSearchBackend]:
    b = make_backend(engine, f"test-{uuid.uuid4().hex}")
    yield b
    drop_all(b)


class TestOpenSearchConformance(SearchBackendConformance):
    """Every semantic test of the SQLite backend, unchanged."""
