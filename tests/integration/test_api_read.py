"""Auth, the one error shape, documents, originals, search and health through the real app."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from api import create_app
from search import IndexedDocument, IndexedPage, open_backend
from sohoa.core.db import session_scope
from sohoa.core.models import ApiKey, AuditEvent, Document, Page
from sohoa.domain.keys import create_key, revoke_key
from tests import filegen


def assert_error_shape(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "detail"}
    assert isinstance(body["error"]["code"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


def upload_one(api, keys, data: bytes, name: str = "scan.pdf") -> dict:
    response = api.post("/api/v1/batches", files=[("files", (name, data))], headers=keys.auth("clerk"))
    assert response.status_code == 202
    return response.json()


# -- auth --------------------------------------------------------------------------------

def test_missing_invalid_revoked_and_expired_keys_are_401(api, keys, session_factory):
    with session_scope(session_factory) as session:
        _, revoked = create_key(session, role="officer", name="gone")
        _, expired = create_key(session, role="officer", name="old",
                                expires_at=datetime.now(UTC) - timedelta(minutes=1))
        gone = session.scalar(select(ApiKey.id).where(ApiKey.name == "gone"))
        assert gone is not None
        revoke_key(session, gone)
    url = "/api/v1/search?q=an"
    response = api.get(url)
    assert_error_shape(response, 401, "missing_api_key")
    assert response.headers["www-authenticate"] == "Bearer"
    assert_error_shape(api.get(url, headers={"Authorization": "Bearer nonsense"}), 401, "invalid_api_key")
    assert_error_shape(api.get(url, headers={"Authorization": f"Bearer {keys.officer}x"}), 401, "invalid_api_key")
    assert_error_shape(api.get(url, headers={"Authorization": f"Bearer {revoked}"}), 401, "revoked_api_key")
    assert_error_shape(api.get(url, headers={"Authorization": f"Bearer {expired}"}), 401, "expired_api_key")
    assert_error_shape(api.get(url, headers={"Authorization": f"Basic {keys.officer}"}), 401, "missing_api_key")


# Each role on each route: tests/integration/test_api_access.py (a table over every route).


# -- error shape everywhere ----------------------------------------------------------------

def test_every_kind_of_error_has_the_one_shape(api, keys, settings):
    officer = keys.auth("officer")
    assert_error_shape(api.get("/api/v1/nowhere", headers=officer), 404, "not_found")
    assert_error_shape(api.get("/api/v1/documents/nope", headers=officer), 404, "not_found")
    assert_error_shape(api.get("/api/v1/batches/nope", headers=keys.auth("clerk")), 404, "not_found")
    assert_error_shape(api.delete("/api/v1/batches/x", headers=officer), 405, "method_not_allowed")
    error = assert_error_shape(api.get("/api/v1/search?q=an&size=101", headers=officer), 422, "validation_error")
    assert error["detail"][0]["loc"] == ["query", "size"]
    assert_error_shape(api.get("/api/v1/search?q=an&page=0", headers=officer), 422, "validation_error")
    assert_error_shape(api.get("/api/v1/search?size=5", headers=officer), 422, "validation_error")
    assert_error_shape(api.get("/api/v1/search?q=an&uploaded_from=2024-02-30", headers=officer), 422)
    assert_error_shape(api.get("/api/v1/search?q=an&uploaded_from=2024-03-02&uploaded_to=2024-03-01",
                               headers=officer), 400, "invalid_date_range")
    assert_error_shape(api.get("/api/v1/search?q=an&issued_from=2024-03-02&issued_to=2024-03-01",
                               headers=officer), 400, "invalid_date_range")
    assert_error_shape(api.get("/api/v1/search?q=an&issued_to=12/03/2024", headers=officer), 422, "validation_error")
    assert_error_shape(api.get('/api/v1/search?q="unbalanced', headers=officer), 400, "invalid_query")


def test_unexpected_exceptions_become_500_in_the_one_shape(api, keys, settings):
    settings.search_sqlite_path = settings.var_dir / "search-is-a-directory"
    settings.search_sqlite_path.mkdir(parents=True)  # sqlite cannot open a directory
    assert_error_shape(api.get("/api/v1/search?q=an", headers=keys.auth("officer")), 503, "search_unavailable")

    @api.app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    error = assert_error_shape(api.get("/boom"), 500, "internal_error")
    assert "secret" not in error["message"]


# -- documents and originals -----------------------------------------------------------------

def test_document_metadata_pages_and_original(api, keys, session_factory):
    data = filegen.tiff(2, "hồ sơ")
    created = upload_one(api, keys, data, "Hồ sơ \"Nguyễn\".tif")
    doc_id = created["documents"][0]["id"]
    with session_scope(session_factory) as session:
        session.add_all([
            Page(document_id=doc_id, number=2, status="failed", error_code="page_timeout", error_message="slow"),
            Page(document_id=doc_id, number=1, status="done", source="ocr", text="Nguyễn Văn An",
                 confidence=91.5, word_count=3, needs_review=False),
        ])
    response = api.get(f"/api/v1/documents/{doc_id}", headers=keys.auth("officer"))
    assert response.status_code == 200
    body = response.json()
    assert body["sha256"] == created["documents"][0]["sha256"] and body["mime_type"] == "image/tiff"
    assert body["status"] == "queued" and body["index_state"] == "pending" and body["pages_total"] == 2
    assert body["batch_ids"] == [created["batch_id"]]
    assert datetime.fromisoformat(body["created_at"]).utcoffset() == timedelta(0)
    assert [(p["number"], p["text"], p["confidence"], p["status"]) for p in body["pages"]] == [
        (1, "Nguyễn Văn An", 91.5, "done"), (2, None, None, "failed")]
    assert body["pages"][1]["error"]["code"] == "page_timeout"

    original = api.get(f"/api/v1/documents/{doc_id}/original", headers=keys.auth("officer"))
    assert original.status_code == 200 and original.content == data
    assert original.headers["content-type"] == "image/tiff"
    assert original.headers["etag"] == f'"{body["sha256"]}"'
    assert "filename*=UTF-8''H%E1%BB%93%20s%C6%A1" in original.headers["content-disposition"]
    cached = api.get(f"/api/v1/documents/{doc_id}/original",
                     headers={**keys.auth("officer"), "If-None-Match": f'"{body["sha256"]}"'})
    assert cached.status_code == 304 and cached.content == b""
    with session_factory() as session:
        actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.target_id == doc_id)))
    assert actions == ["document.read", "document.download"]


# -- search ----------------------------------------------------------------------------------

def test_search_finds_pages_without_diacritics_with_paging_and_filters(api, keys, settings, session_factory):
    created = upload_one(api, keys, filegen.png("search"))
    doc_id = created["documents"][0]["id"]
    with session_factory() as session:
        uploaded_at = session.get(Document, doc_id).created_at
    backend = open_backend(settings)
    try:
        backend.index_documents([IndexedDocument(
            document_id=doc_id, batch_ids=[created["batch_id"]], filename="scan.png", uploaded_at=uploaded_at,
            pages=[IndexedPage(n, f"Trang {n}: ông Nguyễn Văn An, đường Lê Lợi") for n in (1, 2, 3)],
        )])
    finally:
        backend.close()
    officer = keys.auth("officer")
    body = api.get("/api/v1/search", params={"q": "nguyen van an", "size": 2}, headers=officer).json()
    assert body["total"] == 3 and (body["page"], body["size"]) == (1, 2) and len(body["hits"]) == 2
    hit = body["hits"][0]
    assert hit["document_id"] == doc_id and hit["filename"] == "scan.png" and "<mark>" in hit["snippet"]
    page2 = api.get("/api/v1/search", params={"q": "nguyen van an", "size": 2, "page": 2}, headers=officer).json()
    assert len(page2["hits"]) == 1
    assert {h["page"] for h in body["hits"] + page2["hits"]} == {1, 2, 3}
    other = api.get("/api/v1/search", params={"q": "nguyen", "batch_id": "other"}, headers=officer).json()
    assert other == {"total": 0, "total_is_capped": False, "page": 1, "size": 20, "hits": [],
                     "next_search_after": None, "facets": None}


# -- health and docs -------------------------------------------------------------------------

def test_healthz_is_public_and_reports_each_component(api, settings):
    response = api.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: c["status"] for name, c in body["components"].items()} == {
        "database": "ok", "redis": "ok", "search": "ok", "disk": "ok", "workers": "ok", "fixity": "ok"}
    assert body["components"]["workers"]["detail"] == {"paused": {}, "waiting_retry": 0}
    assert body["components"]["fixity"]["detail"]["last_run"] is None
    no_redis = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    with TestClient(create_app(no_redis), raise_server_exceptions=False) as other:
        response = other.get("/healthz")
    body = response.json()
    assert response.status_code == 503 and body["status"] == "error"
    assert body["components"]["redis"]["status"] == "error" and body["components"]["database"]["status"] == "ok"


def test_docs_and_web_page_need_no_key(api):
    assert api.get("/docs").status_code == 200
    schema = api.get("/openapi.json").json()
    assert "multipart/form-data" in schema["paths"]["/api/v1/batches"]["post"]["requestBody"]["content"]
    page = api.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Tra cứu hồ sơ" in page.text and "Tải lên hồ sơ quét" in page.text  # the screens' words, in the shell
    module = re.search(r'<script type="module" src="(/web/[0-9a-f]+/js/app\.js)"', page.text)
    assert module, page.text
    script = api.get(module.group(1))
    assert script.status_code == 200 and "/api/v1/session" in script.text
