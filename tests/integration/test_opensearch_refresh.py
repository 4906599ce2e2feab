"""Refresh semantics on a real node: a document is searchable the moment the API says
``indexed``, and not by luck of timing.

The index's scheduled refresh is switched off (``refresh_interval: -1``) before anything is
processed, so a page can only become visible through the refresh of the write that indexed
it; a control page written without one stays invisible until then, which shows the switch
took.
"""

from __future__ import annotations

import uuid

import pytest
from rq import Queue, SimpleWorker

from search.base import IndexedDocument, IndexedPage, SearchQuery
from search.opensearch import OpenSearchBackend
from search.opensearch.versions import ensure_alias
from sohoa.core.config import Settings
from tests.integration import workers_support as ws
from tests.integration.opensearch_support import drop_indices


def scheduled_refresh_off(backend: OpenSearchBackend) -> None:
    ensure_alias(backend.client, backend.index, backend.policy)
    backend.client.indices.put_settings(index=backend.index, body={"index": {"refresh_interval": "-1"}})


def search(api, keys, q: str) -> list[str]:
    response = api.get("/api/v1/search", params={"q": q}, headers=keys.auth("officer"))
    assert response.status_code == 200, response.text
    return [hit["document_id"] for hit in response.json()["hits"]]


@pytest.fixture
def settings(settings: Settings, opensearch_url: str) -> Settings:
    return settings.model_copy(update={
        "search_backend": "opensearch", "opensearch_url": opensearch_url,
        "opensearch_index": f"refresh-{uuid.uuid4().hex}", "opensearch_verify_certs": False,
    })


def test_a_document_is_searchable_when_the_api_says_indexed(api, keys, services, worker_settings, redis_conn) -> None:
    backend = services.search
    assert isinstance(backend, OpenSearchBackend)
    try:
        scheduled_refresh_off(backend)
        backend.client.index(index=backend.index, id="control:1", refresh=False,
                             body={"document_id": "control", "page": 1, "text": "Phiếu kiểm soát Hoàng Văn Thụ"})
        assert search(api, keys, "hoang van thu") == []  # written without a refresh: the schedule is off

        created = api.post("/api/v1/batches", files=[("files", ("khai-sinh.png", ws.png_bytes(ws.LINES[0])))],
                           headers=keys.auth("clerk")).json()
        doc_id = created["documents"][0]["id"]
        SimpleWorker([Queue(worker_settings.queue_name, connection=redis_conn)], connection=redis_conn).work(burst=True)
        document = api.get(f"/api/v1/documents/{doc_id}", headers=keys.auth("officer")).json()
        assert (document["status"], document["index_state"]) == ("indexed", "indexed")

        assert search(api, keys, "nguyen thi hong nhung") == [doc_id]
        assert search(api, keys, "hoang van thu") == ["control"]  # the indexing write refreshed the shard
    finally:
        drop_indices(backend)  # the services' backend: they close it


def test_replacing_and_deleting_are_visible_at_once(backend: OpenSearchBackend) -> None:
    scheduled_refresh_off(backend)
    backend.index_documents([IndexedDocument("d-1", [IndexedPage(n, f"Bản cũ trang {n} Vương") for n in (1, 2, 3)])])
    assert backend.count() == 3
    backend.index_documents([IndexedDocument("d-1", [IndexedPage(1, "Bản mới Vương Thị Mới")])])
    assert backend.count() == 1
    assert [h.page for h in backend.search(SearchQuery(q="vuong")).hits] == [1]
    assert backend.search(SearchQuery(q="ban cu")).total == 0
    backend.delete_document("d-1")
    assert backend.count() == 0
