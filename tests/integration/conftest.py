"""Fixtures of the integration tests (real Redis, Tesseract, SQLite/PostgreSQL and an
OpenSearch-compatible engine), and the ``integration`` mark on every test collected here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from search.opensearch import OpenSearchBackend
from tests.integration.opensearch_support import ENGINES, REAL_URL, drop_all, make_backend

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """Base URL of the engine under test."""
    if request.param == "osmem":
        return request.getfixturevalue("osmem_clone").url
    assert REAL_URL is not None
    return REAL_URL


@pytest.fixture
def backend(engine: str) -> Iterator[OpenSearchBackend]:
    b = make_backend(engine)
    yield b
    drop_all(b)
