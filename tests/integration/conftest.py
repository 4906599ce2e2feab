"""Fixtures of the integration tests (real Redis, Tesseract, SQLite/PostgreSQL and a real
OpenSearch node), and the ``integration`` mark on every test collected here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from search.opensearch import OpenSearchBackend
from tests import opensearch_node as osn
from tests.integration.opensearch_support import EXTERNAL_URL, build_node_or_fail, drop_all, make_backend

HERE = Path(__file__).parent
# The shared suites' asserts are in modules pytest does not collect: show their values too.
pytest.register_assert_rewrite("tests.integration.conformance")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def opensearch_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[osn.Node | None]:
    """One real OpenSearch 2.19 node (one JVM) for the whole run, started on first use.

    Built from Maven Central jars by ``tests/opensearch_node`` (cached under ``.cache/``);
    its data on tmpfs (``ram_dir``), its logs in the session's temporary directory.
    ``None`` when ``SOHOA_TEST_OPENSEARCH_URL`` names an external cluster instead. A node
    that cannot be built or started fails the tests that need it: never a silent skip.
    """
    if EXTERNAL_URL:
        yield None
        return
    build_node_or_fail()
    with osn.ram_dir("sohoa-test-os-") as data:
        node = osn.start_node(tmp_path_factory.mktemp("opensearch"), data_dir=data)
        yield node
        node.stop()


@pytest.fixture(scope="session")
def stock_opensearch_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second node, started on first use, like a stock OpenSearch image: every module of the
    distribution that sohoa relies on, but no ``analysis-icu`` plugin (the degraded template)."""
    build_node_or_fail()
    with osn.ram_dir("sohoa-test-os-stock-") as data:
        node = osn.start_node(tmp_path_factory.mktemp("opensearch-stock"), name="stock", data_dir=data,
                              plugins=[name for name in osn.ALL_PLUGINS if name != "analysis-icu"])
        yield node.url
        node.stop()


@pytest.fixture(scope="session")
def opensearch_url(opensearch_node: osn.Node | None) -> str:
    """Base URL of the OpenSearch under test: the session's node, or the external cluster."""
    return EXTERNAL_URL or opensearch_node.url  # type: ignore[union-attr]  # one of them is set


@pytest.fixture
def backend(opensearch_url: str) -> Iterator[OpenSearchBackend]:
    """A backend on a fresh uuid-named alias of the engine, dropped afterwards."""
    b = make_backend(opensearch_url)
    yield b
    drop_all(b)
