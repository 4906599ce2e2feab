"""Batch upload through the real app, real database (SQLite and PostgreSQL) and real Redis."""

from __future__ import annotations

import hashlib
import re

import pytest
from fastapi.testclient import TestClient
from rq import Queue
from sqlalchemy import func, select

from api import create_app
from sohoa.core.db import session_scope
from sohoa.core.models import Batch, BatchItem, Document, StoredFile
from sohoa.domain.keys import create_key
from tests import filegen


def upload(api, keys, files, role="clerk", **fields):
    parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
    return api.post("/api/v1/batches", files=parts, data=fields, headers=keys.auth(role))


def archive_files(settings) -> list:
    root = settings.archive_root / "originals"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def queued_jobs(settings, redis_conn) -> int:
    return Queue(settings.queue_name, connection=redis_conn).count


def test_each_supported_type_is_accepted_stored_and_enqueued(api, keys, settings, session_factory, redis_conn):
    files = [("a.pdf", filegen.pdf(2)), ("b.tif", filegen.tiff(3)), ("c.jpg", filegen.jpeg()),
             ("d.png", filegen.png())]
    response = upload(api, keys, files, agency_code="000.00.14.H56", procedure_code="1.004227", note="lô 1")
    assert response.status_code == 202, response.text
    body = response.json()
    docs = body["documents"]
    assert [d["filename"] for d in docs] == ["a.pdf", "b.tif", "c.jpg", "d.png"]
    assert [d["mime_type"] for d in docs] == ["application/pdf", "image/tiff", "image/jpeg", "image/png"]
    assert [d["pages_total"] for d in docs] == [2, 3, 1, 1]
    assert all(d["status"] == "queued" and d["id"] and d["error"] is None and not d["duplicate"] for d in docs)
    assert body["enqueued"] is True and queued_jobs(settings, redis_conn) == 4
    with session_factory() as session:
        for (name, data), d in zip(files, docs, strict=True):
            document = session.get(Document, d["id"])
            sha = hashlib.sha256(data).hexdigest()
            assert (document.sha256, document.size_bytes, document.filename) == (sha, len(data), name)
            assert document.agency_code == "000.00.14.H56" and document.first_batch_id == body["batch_id"]
            assert (settings.archive_root / document.original_path).read_bytes() == data
            stored = session.scalars(select(StoredFile).where(StoredFile.document_id == d["id"])).one()
            assert (stored.kind, stored.sha256) == ("original", sha)
        assert session.get(Batch, body["batch_id"]).note == "lô 1"


@pytest.mark.parametrize(("name", "data", "code", "status"), [
    ("x.docx", b"PK\x03\x04 zip", "unsupported_type", 415),
    ("big.pdf", b"%PDF-1.4" + b"0" * 5000, "file_too_large", 413),
    ("long.tif", filegen.tiff(4), "too_many_pages", 413),
    ("locked.pdf", filegen.encrypted_pdf(), "encrypted_pdf", 422),
    ("locked-aes.pdf", filegen.qpdf_encrypted(filegen.pdf(1), user_password="open-me"), "encrypted_pdf", 422),
    ("broken.pdf", filegen.truncated(filegen.pdf(2)), "corrupt_file", 422),
    ("empty.png", b"", "empty_file", 422),
])
def test_bad_file_is_rejected_alone_and_leaves_nothing(api, keys, settings, session_factory, redis_conn,
                                                        name, data, code, status):
    settings.max_file_bytes = 4096
    settings.max_pages_per_document = 3
    good = filegen.png("sibling")
    response = upload(api, keys, [("ok1.png", good), (name, data), ("ok2.jpg", filegen.jpeg("sibling"))])
    assert response.status_code == 202
    first, bad, last = response.json()["documents"]
    assert bad["id"] is None and bad["status"] == "failed" and bad["filename"] == name
    assert bad["error"]["code"] == code and bad["error"]["message"]
    assert first["status"] == last["status"] == "queued"
    assert len(archive_files(settings)) == 2 and queued_jobs(settings, redis_conn) == 2
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 2
        assert session.scalar(select(func.count()).select_from(StoredFile)) == 2
        item = session.scalars(select(BatchItem).where(BatchItem.position == 1)).one()
        assert (item.document_id, item.error_code) == (None, code)
    assert list((settings.var_dir / "tmp" / "uploads").iterdir()) == []


def test_same_bytes_again_link_to_the_existing_document_without_a_second_job(
        api, keys, settings, session_factory, redis_conn):
    data = filegen.pdf(1, "trùng")
    first = upload(api, keys, [("first.pdf", data)]).json()
    second = upload(api, keys, [("again.pdf", data), ("again-in-same-batch.pdf", data)]).json()
    doc_id = first["documents"][0]["id"]
    assert [d["id"] for d in second["documents"]] == [doc_id, doc_id]
    assert [d["duplicate"] for d in second["documents"]] == [True, True]
    assert queued_jobs(settings, redis_conn) == 1
    assert len(archive_files(settings)) == 1
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 1
        assert session.get(Document, doc_id).filename == "first.pdf"
    batch = api.get(f"/api/v1/batches/{second['batch_id']}", headers=keys.auth("clerk")).json()
    assert [d["filename"] for d in batch["documents"]] == ["again.pdf", "again-in-same-batch.pdf"]
    document = api.get(f"/api/v1/documents/{doc_id}", headers=keys.auth("officer")).json()
    assert document["batch_ids"] == sorted([first["batch_id"], second["batch_id"]])


def test_too_many_files_is_413_and_nothing_is_stored(api, keys, settings, session_factory):
    settings.max_files_per_batch = 2
    response = upload(api, keys, [("a.png", filegen.png("a")), ("b.png", filegen.png("b")),
                                  ("c.png", filegen.png("c"))])
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_many_files"
    assert archive_files(settings) == []
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Batch)) == 0


def test_upload_without_files_is_a_400(api, keys):
    response = api.post("/api/v1/batches", data={"note": "x"}, files=[("other", ("a", b"1"))],
                        headers=keys.auth("clerk"))
    assert response.status_code == 400 and response.json()["error"]["code"] == "no_files"
    response = api.post("/api/v1/batches", json={"files": []}, headers=keys.auth("clerk"))
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_multipart"


def _multipart(*parts: tuple[str, bytes], closing: bytes = b"--XyZ--\r\n") -> bytes:
    body = b""
    for name, data in parts:
        body += (f'--XyZ\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n").encode() + data + b"\r\n"
    return body + closing


@pytest.mark.parametrize("cut", [b"", b"--XyZ", b"--XyZ-"], ids=["no closing boundary", "boundary without --",
                                                                  "half the --"])
def test_a_body_without_its_closing_boundary_is_400_and_stores_nothing(api, keys, settings, session_factory, cut):
    """A body cut off before its end (the last file possibly missing its tail) is refused
    whole: python-multipart's finalize() does not check that the closing boundary came."""
    body = _multipart(("a.png", filegen.png("a")), ("b.png", filegen.png("b")), closing=cut)
    response = api.post("/api/v1/batches", content=body, headers={
        **keys.auth("clerk"), "Content-Type": "multipart/form-data; boundary=XyZ"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_multipart"
    assert archive_files(settings) == []
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Batch)) == 0
    assert list((settings.var_dir / "tmp" / "uploads").iterdir()) == []


def test_a_complete_hand_written_multipart_body_is_accepted(api, keys):
    for closing in (b"--XyZ--\r\n", b"--XyZ--", b"--XyZ--\r\nan epilogue"):
        body = _multipart(("a.png", filegen.png("hand")), closing=closing)
        response = api.post("/api/v1/batches", content=body, headers={
            **keys.auth("clerk"), "Content-Type": "multipart/form-data; boundary=XyZ"})
        assert response.status_code == 202 and response.json()["documents"][0]["error"] is None, closing


def test_redis_down_still_accepts_and_leaves_documents_queued(keys, settings, session_factory):
    no_redis = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    with TestClient(create_app(no_redis), raise_server_exceptions=False) as api:
        response = upload(api, keys, [("a.png", filegen.png("no redis"))])
    assert response.status_code == 202
    body = response.json()
    assert body["enqueued"] is False and body["documents"][0]["status"] == "queued"
    with session_factory() as session:
        document = session.get(Document, body["documents"][0]["id"])
        assert (document.status, document.enqueued_at) == ("queued", None)


def test_batch_status_counts_and_progress(api, keys, session_factory):
    body = upload(api, keys, [("a.png", filegen.png("1")), ("b.pdf", filegen.pdf(3, "2")),
                              ("bad.txt", b"hello")]).json()
    a_id, b_id = body["documents"][0]["id"], body["documents"][1]["id"]
    with session_factory() as session:
        session.get(Document, a_id).status = "indexed"
        b = session.get(Document, b_id)
        b.status, b.pages_done = "processing", 1
        session.commit()
    status = api.get(f"/api/v1/batches/{body['batch_id']}", headers=keys.auth("clerk")).json()
    assert status["status"] == "processing" and status["total"] == 3
    assert status["counts"] == {"queued": 0, "processing": 1, "indexed": 1, "failed": 1}
    assert [(d["status"], d["pages_done"], d["pages_total"]) for d in status["documents"]] == [
        ("indexed", 0, 1), ("processing", 1, 3), ("failed", 0, 0)]
    assert status["documents"][2]["error"]["code"] == "unsupported_type"
    with session_factory() as session:
        b = session.get(Document, b_id)
        b.status, b.error_code, b.error_message = "failed", "ocr_failed", "tesseract crashed"
        session.commit()
    status = api.get(f"/api/v1/batches/{body['batch_id']}", headers=keys.auth("admin")).json()
    assert status["status"] == "done"
    assert status["documents"][1]["error"] == {"code": "ocr_failed", "message": "tesseract crashed", "detail": None}


def test_files_added_to_a_batch_continue_it(api, keys, settings, session_factory, redis_conn):
    first = api.post("/api/v1/batches", files=[("files", ("a.png", filegen.png("a")))],
                     data={"agency_code": "UBND-X", "procedure_code": "HKD"}, headers=keys.auth("clerk")).json()
    batch_id = first["batch_id"]
    added = api.post(f"/api/v1/batches/{batch_id}/files", headers=keys.auth("clerk"),
                     files=[("files", ("b.png", filegen.png("b"))), ("files", ("bad.txt", b"no")),
                            ("files", ("c.png", filegen.png("c")))])
    assert added.status_code == 202, added.text
    body = added.json()
    assert body["batch_id"] == batch_id
    assert [(d["filename"], d["status"]) for d in body["documents"]] == [
        ("b.png", "queued"), ("bad.txt", "failed"), ("c.png", "queued")]
    status = api.get(f"/api/v1/batches/{batch_id}", headers=keys.auth("clerk")).json()
    assert [d["filename"] for d in status["documents"]] == ["a.png", "b.png", "bad.txt", "c.png"]
    assert status["total"] == 4 and status["counts"]["queued"] == 3
    with session_factory() as session:
        docs = session.scalars(select(Document).where(Document.first_batch_id == batch_id)).all()
        assert {(d.agency_code, d.procedure_code) for d in docs} == {("UBND-X", "HKD")}  # the batch's codes
    assert Queue(settings.queue_name, connection=redis_conn).count == 3


def test_only_the_batch_creator_or_an_admin_may_add_files(api, keys, session_factory):
    batch_id = upload(api, keys, [("a.png", filegen.png("a"))]).json()["batch_id"]
    with session_scope(session_factory) as session:
        other = create_key(session, role="clerk", name="other clerk")[1]
    refused = api.post(f"/api/v1/batches/{batch_id}/files", files=[("files", ("b.png", filegen.png("b")))],
                       headers={"Authorization": f"Bearer {other}"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    by_admin = api.post(f"/api/v1/batches/{batch_id}/files", files=[("files", ("b.png", filegen.png("b")))],
                        headers=keys.auth("admin"))
    assert by_admin.status_code == 202
    missing = api.post("/api/v1/batches/nope/files", files=[("files", ("c.png", filegen.png("c")))],
                       headers=keys.auth("clerk"))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(BatchItem)) == 2


def test_adding_beyond_the_batch_limit_is_413_and_stores_nothing(api, keys, settings, session_factory):
    settings.max_files_per_batch = 2
    batch_id = upload(api, keys, [("a.png", filegen.png("a"))]).json()["batch_id"]
    stored = archive_files(settings)
    response = api.post(f"/api/v1/batches/{batch_id}/files", headers=keys.auth("clerk"),
                        files=[("files", ("b.png", filegen.png("b"))), ("files", ("c.png", filegen.png("c")))])
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_many_files"
    assert archive_files(settings) == stored
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(BatchItem)) == 1


def test_client_upload_failing_on_a_later_file_names_the_batch_and_what_arrived(api, keys, settings, tmp_path):
    from sohoa.cli.ingest_client import IngestError
    from sohoa.cli.resumable_client import send_files
    from sohoa.cli.upload_state import UploadState

    settings.max_files_per_batch = 2
    files = []
    for name in ("a.png", "b.png", "c.png"):
        (tmp_path / name).write_bytes(filegen.png(name))
        files.append((tmp_path / name, name))
    api.headers.update(keys.auth("clerk"))
    with pytest.raises(IngestError) as failure:
        send_files(api, files, {}, UploadState(tmp_path / "state.json"), say=lambda _line: None)
    assert failure.value.code == "api_error" and "too_many_files" in failure.value.message
    named = re.search(r"batch ([0-9a-f]{32}) holds", failure.value.message)
    assert named is not None, failure.value.message
    batch_id = named.group(1)
    assert "holds the first 2 of 3 files" in failure.value.message
    status = api.get(f"/api/v1/batches/{batch_id}").json()
    assert [d["filename"] for d in status["documents"]] == ["a.png", "b.png"]
