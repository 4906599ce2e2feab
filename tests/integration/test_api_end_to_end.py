"""The whole path through the public API: upload → RQ worker (real Tesseract) → search.

A clerk uploads a small generated scan plus the same bytes again; one job runs; the
officer then finds the document by a name typed without diacritics.
"""

from __future__ import annotations

from rq import Queue, SimpleWorker

from tests.integration import workers_support as ws


def test_uploaded_scan_is_ocred_indexed_and_found_without_diacritics(api, keys, worker_settings, redis_conn):
    data = ws.png_bytes(ws.LINES[0])
    files = [("files", ("khai-sinh.png", data)), ("files", ("lai-lan-nua.png", data)),
             ("files", ("ghi-chu.txt", b"not a scan"))]
    created = api.post("/api/v1/batches", files=files, headers=keys.auth("clerk")).json()
    doc_id = created["documents"][0]["id"]
    assert [d["status"] for d in created["documents"]] == ["queued", "queued", "failed"]

    queue = Queue(worker_settings.queue_name, connection=redis_conn)
    assert queue.count == 1  # the duplicate did not get a job of its own
    SimpleWorker([queue], connection=redis_conn).work(burst=True)

    batch = api.get(f"/api/v1/batches/{created['batch_id']}", headers=keys.auth("clerk")).json()
    assert batch["status"] == "done"
    assert batch["counts"] == {"queued": 0, "processing": 0, "indexed": 2, "failed": 1}
    assert [(d["pages_done"], d["pages_total"]) for d in batch["documents"][:2]] == [(1, 1), (1, 1)]

    hits = api.get("/api/v1/search", params={"q": "nguyen thi hong nhung"}, headers=keys.auth("officer")).json()
    assert hits["total"] == 1 and hits["hits"][0]["document_id"] == doc_id
    assert hits["hits"][0]["filename"] == "khai-sinh.png" and "<mark>" in hits["hits"][0]["snippet"]

    document = api.get(f"/api/v1/documents/{doc_id}", headers=keys.auth("officer")).json()
    assert document["status"] == "indexed" and document["index_state"] == "indexed"
    page = document["pages"][0]
    assert "Nguyễn Thị Hồng Nhung" in page["text"] and page["source"] == "ocr" and page["confidence"] > 60
