"""OpenSearch unreachable during ingest: nothing lost, nothing duplicated once it returns.

End to end with real parts: the API takes the uploads, an in-process RQ worker OCRs them
with real Tesseract on SQLite or PostgreSQL, and the search engine (the session's real OpenSearch node)
sits behind a loopback proxy we switch off and on — connections closed without an answer,
as when the cluster is gone. While it is away, OCR still completes and each document waits
with ``index_state`` pending; after it returns, the reconciler indexes every pending
document and the engine holds exactly one copy of each page.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest
from rq import Queue, SimpleWorker

from search.opensearch import make_client
from sohoa.cli.ingest_client import progress_of
from sohoa.core.config import Settings
from tests.integration import workers_support as ws
from tests.integration.opensearch_support import FaultProxy
from workers.jobs.indexing import index_document
from workers.jobs.reconciler import reconcile_once

NHUNG = ["GIẤY KHAI SINH", "Họ và tên: Nguyễn Thị Hồng Nhung"]
DUC = [["ĐƠN ĐỀ NGHỊ", "Người làm đơn: Trần Văn Đức"], ["Địa chỉ: phường Bến Nghé", "Ký tên: Trần Văn Đức"]]
NGOC = ["GIẤY CHỨNG NHẬN", "Họ và tên: Lê Thị Bích Ngọc"]


class OutageProxy(FaultProxy):
    """``FaultProxy`` that can also lose acknowledgements: with ``lose_bulk_acks`` a bulk
    request reaches the engine (which writes it) but the client never gets the answer."""

    lose_bulk_acks = False

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        base: type = super()._handler()
        proxy = self

        class Handler(base):
            def _reply(self, status: int, payload: bytes, ctype: str | None = "application/json",
                       encoding: str | None = None) -> None:
                if proxy.lose_bulk_acks and "/_bulk" in self.path:
                    self.close_connection = True
                    return
                super()._reply(status, payload, ctype, encoding)

        return Handler


@pytest.fixture
def proxy(opensearch_url) -> Iterator[OutageProxy]:
    p = OutageProxy(opensearch_url)
    yield p
    p.close()


@pytest.fixture
def settings(settings: Settings, proxy: OutageProxy) -> Settings:
    """Conftest's settings, but the app and the workers talk to OpenSearch through the proxy."""
    return settings.model_copy(update={
        "search_backend": "opensearch",
        "opensearch_url": proxy.url,
        "opensearch_index": f"outage-{uuid.uuid4().hex}",
        "opensearch_retries": 2,
        "opensearch_backoff_seconds": 0.01,
        "opensearch_timeout_seconds": 10,
    })


def run_jobs(settings: Settings, redis_conn, max_jobs: int | None = None) -> Queue:
    queue = Queue(settings.queue_name, connection=redis_conn)
    SimpleWorker([queue], connection=redis_conn).work(burst=True, max_jobs=max_jobs)
    assert queue.failed_job_registry.count == 0, "an outage must not fail the job"
    return queue


def engine_pages(engine_url: str, index: str) -> list[str]:
    """Every page id in every version of the index, read from the engine behind the proxy."""
    client = make_client(engine_url)
    try:
        client.indices.refresh(index=f"{index}*", ignore=[404])
        body = {"query": {"match_all": {}}, "size": 1000}
        hits = client.search(index=f"{index}*", body=body)["hits"]["hits"]
        for hit in hits:  # deterministic ids: "<document_id>:<page>"
            assert hit["_id"] == f"{hit['_source']['document_id']}:{hit['_source']['page']}"
        return sorted(hit["_id"] for hit in hits)
    finally:
        client.close()


def upload(client, creds, files: list[tuple[str, bytes]]) -> dict:
    body = client.post("/api/v1/batches", files=[("files", f) for f in files], headers=creds.auth("clerk"))
    assert body.status_code == 202, body.text
    created = body.json()
    assert created["enqueued"] is True
    assert [d["status"] for d in created["documents"]] == ["queued"] * len(files)
    return created


def document(client, creds, doc_id: str) -> dict:
    return client.get(f"/api/v1/documents/{doc_id}", headers=creds.auth("officer")).json()


def batch(client, creds, batch_id: str) -> dict:
    return client.get(f"/api/v1/batches/{batch_id}", headers=creds.auth("clerk")).json()


def search(client, creds, q: str) -> list[tuple[str, int]]:
    response = client.get("/api/v1/search", params={"q": q, "size": 50}, headers=creds.auth("officer"))
    assert response.status_code == 200, response.text
    return sorted((h["document_id"], h["page"]) for h in response.json()["hits"])


def expected_ids(pages: dict[str, int]) -> list[str]:
    return sorted(f"{doc_id}:{n}" for doc_id, total in pages.items() for n in range(1, total + 1))


def assert_waiting(doc: dict, pages_total: int) -> None:
    """OCR finished and kept; only the index is behind."""
    assert doc["status"] == "processing" and doc["index_state"] == "pending"
    assert "SearchUnavailable" in (doc["index_error"] or "")
    assert doc["pages_total"] == doc["pages_done"] == pages_total and doc["processed_at"] is not None
    assert doc["indexed_at"] is None and doc["error"] is None
    assert all(p["status"] == "done" and p["text"] for p in doc["pages"])


def test_batch_ingested_while_engine_is_down_is_indexed_once_when_it_returns(
        api, keys, worker_settings, services, redis_conn, proxy, opensearch_url) -> None:
    proxy.down = True
    created = upload(api, keys, [("nhung.png", ws.png_bytes(NHUNG)), ("duc.tif", ws.tiff_bytes(DUC)),
                                 ("ngoc.png", ws.png_bytes(NGOC))])
    nhung, duc, ngoc = (d["id"] for d in created["documents"])
    run_jobs(worker_settings, redis_conn)

    for doc_id, total in ((nhung, 1), (duc, 2), (ngoc, 1)):
        assert_waiting(document(api, keys, doc_id), total)
    assert "Trần Văn Đức" in document(api, keys, duc)["pages"][1]["text"]
    state = batch(api, keys, created["batch_id"])
    assert state["status"] == "processing"  # not done: nothing of it is searchable yet
    assert state["counts"] == {"queued": 0, "processing": 3, "indexed": 0, "failed": 0}
    assert [(d["pages_done"], d["pages_total"]) for d in state["documents"]] == [(1, 1), (2, 2), (1, 1)]
    assert [d["waiting_for_index"] for d in state["documents"]] == [True] * 3
    assert progress_of(state).waiting_for_index == 3  # what `sohoa ingest` shows
    down = api.get("/api/v1/search", params={"q": "nhung"}, headers=keys.auth("officer"))
    assert down.status_code == 503 and down.json()["error"]["code"] == "search_unavailable"

    still_down = reconcile_once(services)  # a pass during the outage changes nothing
    assert still_down["index_pending"] == 3 and still_down["indexed"] == 0
    assert document(api, keys, nhung)["index_state"] == "pending"

    proxy.down = False
    assert reconcile_once(services)["indexed"] == 3
    run_jobs(worker_settings, redis_conn)  # nothing left to do, and nothing done twice
    assert reconcile_once(services)["index_pending"] == 0

    state = batch(api, keys, created["batch_id"])
    assert state["status"] == "done"
    assert state["counts"] == {"queued": 0, "processing": 0, "indexed": 3, "failed": 0}
    assert not any(d["waiting_for_index"] for d in state["documents"])
    for doc_id in (nhung, duc, ngoc):
        doc = document(api, keys, doc_id)
        assert (doc["status"], doc["index_state"], doc["index_error"]) == ("indexed", "indexed", None)
    assert engine_pages(opensearch_url, worker_settings.opensearch_index) == expected_ids(
        {nhung: 1, duc: 2, ngoc: 1})
    assert search(api, keys, "nguyen thi hong nhung") == [(nhung, 1)]
    assert search(api, keys, "tran van duc") == [(duc, 1), (duc, 2)]
    assert search(api, keys, "le thi bich ngoc") == [(ngoc, 1)]


def test_engine_lost_between_two_documents_of_one_batch(
        api, keys, worker_settings, services, redis_conn, proxy, opensearch_url) -> None:
    created = upload(api, keys, [("nhung.png", ws.png_bytes(NHUNG)), ("ngoc.png", ws.png_bytes(NGOC))])
    nhung, ngoc = (d["id"] for d in created["documents"])
    run_jobs(worker_settings, redis_conn, max_jobs=1)  # first document: engine up
    assert document(api, keys, nhung)["index_state"] == "indexed"

    proxy.down = True
    run_jobs(worker_settings, redis_conn)  # second document: engine gone
    assert_waiting(document(api, keys, ngoc), 1)
    state = batch(api, keys, created["batch_id"])
    assert state["status"] == "processing"
    assert state["counts"] == {"queued": 0, "processing": 1, "indexed": 1, "failed": 0}
    # An indexed document re-indexed during the outage (as after an officer's correction)
    # stays available with its old index entry, and is marked pending until it returns.
    index_document(services, nhung)
    doc = document(api, keys, nhung)
    assert (doc["status"], doc["index_state"]) == ("indexed", "pending")

    proxy.down = False
    assert reconcile_once(services)["indexed"] == 2
    for doc_id in (nhung, ngoc):
        doc = document(api, keys, doc_id)
        assert (doc["status"], doc["index_state"]) == ("indexed", "indexed")
    assert batch(api, keys, created["batch_id"])["counts"]["indexed"] == 2
    assert engine_pages(opensearch_url, worker_settings.opensearch_index) == expected_ids({nhung: 1, ngoc: 1})
    assert search(api, keys, "bich ngoc") == [(ngoc, 1)]
    assert search(api, keys, "hong nhung") == [(nhung, 1)]


def test_lost_bulk_acknowledgement_is_retried_without_duplicates(
        api, keys, worker_settings, services, redis_conn, proxy, opensearch_url) -> None:
    created = upload(api, keys, [("duc.tif", ws.tiff_bytes(DUC))])
    duc = created["documents"][0]["id"]
    proxy.lose_bulk_acks = True  # the engine writes the pages; the worker never hears so
    run_jobs(worker_settings, redis_conn)
    assert_waiting(document(api, keys, duc), 2)
    index = worker_settings.opensearch_index
    assert engine_pages(opensearch_url, index) == expected_ids({duc: 2})  # written, maybe twice

    proxy.lose_bulk_acks = False
    services.queue.enqueue(duc, force=True)  # a redelivered job, then the reconciler
    run_jobs(worker_settings, redis_conn)
    assert reconcile_once(services)["index_pending"] == 0
    doc = document(api, keys, duc)
    assert (doc["status"], doc["index_state"]) == ("indexed", "indexed")
    assert engine_pages(opensearch_url, index) == expected_ids({duc: 2})
    assert search(api, keys, "tran van duc") == [(duc, 1), (duc, 2)]
    bulks = Counter(r.split()[1].split("?")[0] for r in proxy.requests if "/_bulk" in r)
    assert sum(bulks.values()) >= 3  # two tries with the ack lost, then the redelivered job


def test_the_api_keeps_one_backend_for_all_its_requests(api, keys, proxy, settings) -> None:
    """The backend (client, connection pool, the alias it checked) is built once per process
    (``Services.search``): searches and health checks cost one engine request each."""
    assert search(api, keys, "khoi dong") == []  # the first request opens it
    proxy.requests.clear()
    for q in ("nguyen", "tran van duc", "bich ngoc"):
        assert search(api, keys, q) == []
    assert api.get("/healthz").status_code == 200
    index = settings.opensearch_index
    assert [r.split("?")[0] for r in proxy.requests] == [f"POST /{index}/_search"] * 3 + ["HEAD /"]
