"""Roles as scopes on every route, portal purposes, one audit event per read, masking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from sohoa.core.db import session_scope
from sohoa.core.models import AuditEvent, Document, Page, StoredFile
from sohoa.domain.keys import create_key
from sohoa.domain.records import refresh_from_document
from sohoa.storage.archive import ArchiveStore
from tests import filegen
from tests.records_support import BIRTH, CHILD_ID, FATHER_ID, MOTHER_ID
from workers.jobs.indexing import index_document

PURPOSE = "000.00.14.H56-230415-0012"
ROLES = ("admin", "clerk", "officer", "portal")


@dataclass
class World:
    batch: str
    doc: str
    record: str
    key: int  # a throwaway key for the key-management routes
    upload: str  # a resumable upload the clerk started
    sessions: sessionmaker[Session]

    def failed(self) -> dict[str, Any]:
        """Make the document failed (so a retry route has something to retry); no request kwargs."""
        with session_scope(self.sessions) as session:
            session.execute(update(Document).where(Document.id == self.doc).values(status="failed",
                                                                                  error_code="page_unreadable"))
        return {}


@pytest.fixture
def world(api, keys, session_factory, settings, services) -> World:
    """An uploaded scan whose page reads as a birth extract, with its record, PDF and index entry."""
    response = api.post("/api/v1/batches", files=[("files", ("ks.png", filegen.png("khai sinh")))],
                        headers=keys.auth("clerk"))
    assert response.status_code == 202
    batch, doc = response.json()["batch_id"], response.json()["documents"][0]["id"]
    pdf = ArchiveStore(settings.archive_root).put_derived(doc, "searchable.pdf", b"%PDF-1.4\n%%EOF\n")
    with session_scope(session_factory) as session:
        session.add(Page(document_id=doc, number=1, status="done", source="ocr", text=BIRTH))
        session.add(StoredFile(document_id=doc, kind="searchable_pdf", path=pdf.path, sha256=pdf.sha256,
                               size_bytes=pdf.size_bytes))
        session.flush()
        record = refresh_from_document(session, doc).id
        key = create_key(session, role="clerk", name="spare")[0].id
    index_document(services, doc)
    upload = api.post("/api/v1/uploads", headers={**keys.auth("clerk"), **TUS_NEW}).headers["location"]
    return World(batch=batch, doc=doc, record=record, key=key, upload=upload.rsplit("/", 1)[1],
                 sessions=session_factory)


TUS = {"Tus-Resumable": "1.0.0"}
TUS_NEW = {**TUS, "Upload-Length": "10", "Upload-Metadata": "filename eC5wbmc="}
TUS_EMPTY_CHUNK = {**TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}


# (method, path, allowed roles, audit events per allowed call, request kwargs)
ROUTES = [
    ("post", "/api/v1/batches", {"admin", "clerk"}, 1, lambda w: {"files": [("files", ("x.png", filegen.png("x")))]}),
    ("get", "/api/v1/batches", {"admin", "clerk"}, 0, None),
    ("get", "/api/v1/batches/{batch}", {"admin", "clerk"}, 0, None),
    ("post", "/api/v1/batches/{batch}/files", {"admin", "clerk"}, 1,
     lambda w: {"files": [("files", ("y.png", filegen.png("y")))]}),
    ("get", "/api/v1/documents", {"admin", "officer"}, 1, None),
    ("get", "/api/v1/documents/{doc}", {"admin", "officer"}, 1, None),
    ("get", "/api/v1/documents/{doc}/pages/1/image", {"admin", "officer", "portal"}, 1, None),
    ("get", "/api/v1/documents/{doc}/pages/1/words", {"admin", "officer"}, 1, None),
    ("get", "/api/v1/review", {"admin", "officer"}, 1, None),
    ("get", "/api/v1/documents/{doc}/original", {"admin", "officer", "portal"}, 1, None),
    ("get", "/api/v1/documents/{doc}/searchable.pdf", {"admin", "officer", "portal"}, 1, None),
    ("get", "/api/v1/search?q=Lộc", {"admin", "officer"}, 1, None),
    ("get", f"/api/v1/records?owner_id={CHILD_ID}", {"admin", "officer", "portal"}, 1, None),
    ("get", "/api/v1/records/{record}", {"admin", "officer", "portal"}, 1, None),
    ("patch", "/api/v1/records/{record}", {"admin", "officer"}, 1, lambda w: {"json": {"confirm": True}}),
    ("get", "/api/v1/records/{record}/history", {"admin", "officer"}, 1, None),
    ("get", "/api/v1/keys", {"admin"}, 0, None),
    ("post", "/api/v1/keys", {"admin"}, 1, lambda w: {"json": {"role": "portal", "name": "p"}}),
    ("patch", "/api/v1/keys/{key}", {"admin"}, 1, lambda w: {"json": {"expires_at": None}}),
    ("delete", "/api/v1/keys/{key}", {"admin"}, 1, None),
    ("get", "/api/v1/audit", {"admin"}, 1, None),
    ("get", "/api/v1/audit/export", {"admin"}, 1, None),
    ("post", "/api/v1/documents/{doc}/retry", {"admin"}, 1, lambda w: w.failed()),
    ("post", "/api/v1/retry", {"admin"}, 0, lambda w: {"json": {"error_code": "none_such"}}),
    ("post", "/api/v1/uploads", {"admin", "clerk"}, 0, lambda w: {"headers": TUS_NEW}),
    ("head", "/api/v1/uploads/{upload}", {"admin", "clerk"}, 0, lambda w: {"headers": TUS}),
    ("patch", "/api/v1/uploads/{upload}", {"admin", "clerk"}, 0, lambda w: {"headers": TUS_EMPTY_CHUNK}),
    ("get", "/api/v1/uploads/{upload}", {"admin", "clerk"}, 0, None),
    ("delete", "/api/v1/uploads/{upload}", {"admin", "clerk"}, 0, lambda w: {"headers": TUS}),
]
PUBLIC = {("get", "/healthz"), ("options", "/api/v1/uploads")}


def _template(path: str) -> str:
    return (path.split("?")[0].replace("{batch}", "{batch_id}").replace("{doc}", "{document_id}")
            .replace("{record}", "{record_id}").replace("{key}", "{key_id}").replace("/pages/1/", "/pages/{number}/")
            .replace("{upload}", "{upload_id}"))


def test_the_table_covers_every_route(api):
    routes = {(m, p) for p, ops in api.app.openapi()["paths"].items() for m in ops}
    assert routes == {(m, _template(p)) for m, p, *_ in ROUTES} | PUBLIC


def audit_count(session_factory) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent))


@pytest.mark.parametrize(("method", "path", "allowed", "events", "kwargs"), ROUTES,
                         ids=[f"{m} {p}" for m, p, *_ in ROUTES])
def test_each_role_on_each_route(api, keys, world, session_factory, method, path, allowed, events, kwargs):
    url = path.format(batch=world.batch, doc=world.doc, record=world.record, key=world.key, upload=world.upload)
    assert getattr(api, method)(url, **(kwargs(world) if kwargs else {})).status_code == 401
    for role in ROLES:
        extra = kwargs(world) if kwargs else {}
        headers = {**keys.auth(role), "X-Purpose": PURPOSE, **extra.pop("headers", {})}
        before = audit_count(session_factory)
        response = getattr(api, method)(url, headers=headers, **extra)
        if role not in allowed:
            assert response.status_code == 403, (role, response.text)
            assert method == "head" or response.json()["error"]["code"] == "forbidden"  # HEAD has no body
            assert audit_count(session_factory) == before
            continue
        assert response.status_code in (200, 201, 202, 204), (role, response.text)
        assert audit_count(session_factory) == before + events, role
        if events:
            with session_factory() as session:
                event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
            reads = path.startswith(("/api/v1/records", "/api/v1/documents", "/api/v1/search", "/api/v1/review")) \
                and not path.endswith("/retry")
            assert (event.role, event.purpose) == (role, PURPOSE if reads else None)


def test_portal_must_send_a_dossier_code(api, keys, world):
    portal = keys.auth("portal")
    for url in (f"/api/v1/records?owner_id={CHILD_ID}", f"/api/v1/records/{world.record}",
                f"/api/v1/documents/{world.doc}/original", f"/api/v1/documents/{world.doc}/searchable.pdf"):
        response = api.get(url, headers=portal)
        assert response.status_code == 400 and response.json()["error"]["code"] == "purpose_required", url
        response = api.get(url, headers={**portal, "X-Purpose": "ho so cua anh A"})
        assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_purpose", url
        sep = "&" if "?" in url else "?"
        assert api.get(f"{url}{sep}purpose={PURPOSE}", headers=portal).status_code == 200, url
    # Role before purpose: a clerk is refused, not told about purposes.
    assert api.get(f"/api/v1/records?owner_id={CHILD_ID}", headers=keys.auth("clerk")).status_code == 403
    assert api.get(f"/api/v1/records?owner_id={CHILD_ID}", headers=keys.auth("officer")).status_code == 200
    response = api.get("/api/v1/records", headers={**portal, "X-Purpose": PURPOSE})
    assert response.status_code == 400 and response.json()["error"]["code"] == "owner_id_required"


def test_portal_reaches_only_documents_that_are_records(api, keys, world):
    response = api.post("/api/v1/batches", files=[("files", ("n.png", filegen.png("none")))],
                        headers=keys.auth("clerk"))
    other = response.json()["documents"][0]["id"]
    headers = {**keys.auth("portal"), "X-Purpose": PURPOSE}
    assert api.get(f"/api/v1/documents/{other}/original", headers=headers).status_code == 404
    assert api.get(f"/api/v1/documents/{other}/original", headers=keys.auth("officer")).status_code == 200
    response = api.get(f"/api/v1/documents/{other}/searchable.pdf", headers=keys.auth("officer"))
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_available"


def test_read_events_say_who_what_whom_and_why(api, keys, world, session_factory):
    headers = {**keys.auth("portal"), "X-Purpose": PURPOSE}
    response = api.get("/api/v1/records", params={"owner_id": "049 223.571.884"}, headers=headers)
    assert response.json()["total"] == 1
    api.get(f"/api/v1/documents/{world.doc}/original", headers=headers)
    with session_factory() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.role == "portal").order_by(AuditEvent.id)).all()
    assert [(e.action, e.owner_id, e.purpose, e.result_count) for e in events] == [
        ("record.lookup", CHILD_ID, PURPOSE, 1), ("document.download", CHILD_ID, PURPOSE, 1)]
    assert events[0].detail["record_ids"] == [world.record] and events[0].agency is None
    assert events[1].target_id == world.doc and events[0].key_id == events[1].key_id


def test_masking_per_role(api, keys, world):
    portal = {**keys.auth("portal"), "X-Purpose": PURPOSE}
    response = api.get(f"/api/v1/records?owner_id={CHILD_ID}", headers=portal)
    record = response.json()["records"][0]
    assert record["owner_id"] == CHILD_ID and record["fields"]["owner_id"]["value"] == CHILD_ID
    subjects = {s["role"]: s["person_id"] for s in record["subjects"]}
    assert subjects == {"child": CHILD_ID, "mother": "0491******23", "father": "0490******83"}
    assert MOTHER_ID not in response.text and FATHER_ID not in response.text
    assert record["candidates"] is None
    one = api.get(f"/api/v1/records/{world.record}", headers=portal).json()
    assert one["owner_id"] == "0492******84" and CHILD_ID not in str(one)
    officer = api.get(f"/api/v1/records/{world.record}", headers=keys.auth("officer")).json()
    assert officer["owner_id"] == CHILD_ID and {s["person_id"] for s in officer["subjects"]} >= {MOTHER_ID, FATHER_ID}
    assert any(c["value"] == MOTHER_ID and c["role"] == "mother" for c in officer["candidates"])
    owner = officer["fields"]["owner_id"]
    assert owner["source"] == "extracted" and owner["page"] == 1 and BIRTH[slice(*owner["span"])] == CHILD_ID
    assert officer["links"] == {"original": f"/api/v1/documents/{world.doc}/original",
                                "searchable_pdf": f"/api/v1/documents/{world.doc}/searchable.pdf",
                                "self": f"/api/v1/records/{world.record}"}
