"""Bulk back-pressure on a real node: a bulk answered with per-item 429s resends only those items.

The node runs one write thread with a queue of one (``thread_pool.write.size: 1``,
``queue_size: 1``), so the engine itself refuses work as a busy cluster does: the coordinating
step of a bulk takes the thread, the first shard-level request waits in the queue and the
others are rejected (``rejected_execution_exception``, status 429 per item), while the items of
the queued shard are written. Every time, not by chance: no proxy rewrites anything.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from opensearchpy import OpenSearch

from search.base import IndexedDocument, IndexedPage
from search.opensearch import OpenSearchBackend, RetryPolicy, make_client
from search.opensearch.bulk import PageAction, bulk_write
from search.opensearch.mapping import ASCII_SETTINGS, INDEX_MAPPINGS
from tests import opensearch_node as osn
from tests.integration.opensearch_support import build_node_or_fail, drop_all

PATIENT = RetryPolicy(attempts=12, initial_backoff=0.01, max_backoff=0.2)


@pytest.fixture(scope="module")
def busy_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[osn.Node]:
    build_node_or_fail()
    with osn.ram_dir("sohoa-test-busy-") as data:
        node = osn.start_node(tmp_path_factory.mktemp("busy"), name="busy", data_dir=data,
                              settings={"thread_pool.write.size": 1, "thread_pool.write.queue_size": 1})
        yield node
        node.stop()


@pytest.fixture
def client(busy_node: osn.Node) -> Iterator[OpenSearch]:
    c = make_client(busy_node.url)
    yield c
    c.close()


def rejected_writes(client: OpenSearch) -> int:
    pools = client.cat.thread_pool(thread_pool_patterns="write", format="json", h="rejected")
    return sum(int(pool["rejected"]) for pool in pools)


def versions_of(client: OpenSearch, index: str) -> dict[str, int]:
    client.indices.refresh(index=index)
    found = client.search(index=index, body={"query": {"match_all": {}}, "size": 10_000, "version": True,
                                             "_source": False})
    return {hit["_id"]: hit["_version"] for hit in found["hits"]["hits"]}


class BulkLog:
    """Wraps a client's ``bulk``: the ids each request sent and the status the engine gave each."""

    def __init__(self, client: OpenSearch) -> None:
        self.rounds: list[tuple[list[str], dict[str, int]]] = []
        self._bulk: Callable[..., Any] = client.bulk
        client.bulk = self._record  # spy on the real call (the instance attribute wins)

    def _record(self, *args: Any, **kwargs: Any) -> Any:
        sent = [line["index"]["_id"] for line in kwargs["body"] if "index" in line]
        response = self._bulk(*args, **kwargs)
        got = {item["index"]["_id"]: item["index"]["status"] for item in response["items"]}
        self.rounds.append((sent, got))
        return response


def test_a_bulk_resends_only_the_items_the_engine_refused_with_429(client: OpenSearch) -> None:
    index = f"busy-{uuid.uuid4().hex[:8]}"
    client.indices.create(index=index, body={  # four shards: four shard-level requests per bulk
        "settings": {**ASCII_SETTINGS, "number_of_shards": 4, "number_of_replicas": 0},
        "mappings": INDEX_MAPPINGS})
    try:
        log = BulkLog(client)
        before = rejected_writes(client)
        actions = [PageAction(index, f"d-{i:03d}:1", f"d-{i:03d}", {"document_id": f"d-{i:03d}", "page": 1,
                                                                     "text": f"hồ sơ số {i} " * 20})
                   for i in range(400)]
        assert bulk_write(client, actions, PATIENT) == {}

        assert rejected_writes(client) > before  # the engine itself said no
        first_sent, first_got = log.rounds[0]
        assert len(first_sent) == 400 and {201, 429} <= set(first_got.values())  # partly written
        for (_, got), (sent_next, _) in zip(log.rounds, log.rounds[1:], strict=False):
            assert sorted(sent_next) == sorted(i for i, status in got.items() if status == 429)
        assert set(log.rounds[-1][1].values()) == {201}
        # each page written exactly once: nothing already stored was sent again
        assert versions_of(client, index) == {action.id: 1 for action in actions}
    finally:
        client.indices.delete(index=index, ignore=[404])


def test_concurrent_workers_on_a_busy_engine_index_everything_once(busy_node: osn.Node) -> None:
    """The production path (``index_documents``, one document per call as a worker does), four
    workers at once against the one write thread: refusals are waited out, nothing is lost."""
    backend = OpenSearchBackend(make_client(busy_node.url), f"busy-{uuid.uuid4().hex[:8]}", policy=PATIENT)
    try:
        backend.index_documents([IndexedDocument("d-first", [IndexedPage(1, "khởi tạo")])])
        before = rejected_writes(backend.client)
        errors: list[BaseException] = []

        def worker(w: int) -> None:
            for i in range(15):
                pages = [IndexedPage(n, f"hồ sơ {w}-{i} trang {n}") for n in range(1, 4)]
                try:
                    backend.index_documents([IndexedDocument(f"d-{w}-{i:02d}", pages)])
                except Exception as exc:  # noqa: BLE001 - collected and asserted below
                    errors.append(exc)

        threads = [threading.Thread(target=worker, args=(w,)) for w in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not errors, errors[:3]
        assert rejected_writes(backend.client) > before
        assert backend.count() == 1 + 4 * 15 * 3
        stored = versions_of(backend.client, backend.index)
        assert len(stored) == 1 + 180 and set(stored.values()) == {1}
    finally:
        drop_all(backend)
