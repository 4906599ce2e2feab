"""Roles as scopes on every route, for keys and signed-in people alike; portal purposes, one
audit event per read naming who, masking."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker
from starlette.routing import Mount

from api.webapp import SCREENS
from sohoa.core.db import session_scope
from sohoa.core.models import AuditEvent, Document, Page, Record, StoredFile, User
from sohoa.core.vocab import ROLES, USER_ROLES
from sohoa.domain.keys import create_key
from sohoa.domain.records import refresh_from_document
from sohoa.storage.archive import ArchiveStore
from tests import filegen
from tests.conftest import PASSWORD
from tests.records_support import BIRTH, CHILD_ID, FATHER_ID, MOTHER_ID
from workers.jobs.indexing import index_document

PURPOSE = "000.00.14.H56-230415-0012"


@dataclass
class World:
    batch: str  # created by the clerk key
    user_batch: str  # created by the clerk user: only a batch's creator (or an admin) adds files
    doc: str
    record: str
    key: int  # a throwaway key for the key-management routes
    user: int  # a throwaway user for the user-management routes
    upload: str  # a resumable upload the clerk key started
    user_upload: str  # one the clerk user started: an upload is its starter's (or an admin's)
    sessions: sessionmaker[Session]
    part: str

    def failed(self) -> dict[str, Any]:
        """Make the document failed (so a retry route has something to retry); no request kwargs."""
        with session_scope(self.sessions) as session:
            session.execute(update(Document).where(Document.id == self.doc).values(status="failed",
                                                                                  error_code="page_unreadable"))
        return {}


@pytest.fixture
def world(api, keys, people, session_factory, settings, services, password_hash) -> World:
    """An uploaded scan whose page reads as a birth extract, with its record, PDF and index entry."""
    response = api.post("/api/v1/batches", files=[("files", ("ks.png", filegen.png("khai sinh")))],
                        headers=keys.auth("clerk"))
    assert response.status_code == 202
    batch, doc = response.json()["batch_id"], response.json()["documents"][0]["id"]
    response = api.post("/api/v1/batches", files=[("files", ("u.png", filegen.png("u")))],
                        headers=people.auth("clerk"))
    assert response.status_code == 202, response.text
    user_batch = response.json()["batch_id"]
    pdf = ArchiveStore(settings.archive_root).put_derived(doc, "searchable.pdf", b"%PDF-1.4\n%%EOF\n")
    with session_scope(session_factory) as session:
        session.add(Page(document_id=doc, number=1, status="done", source="ocr", text=BIRTH))
        session.add(StoredFile(document_id=doc, kind="searchable_pdf", path=pdf.path, sha256=pdf.sha256,
                               size_bytes=pdf.size_bytes))
        session.flush()
        first = refresh_from_document(session, doc)[0]
        record, part = first.id, first.part_id
        assert part is not None
        key = create_key(session, role="clerk", name="spare")[0].id
        spare = User(username="spare", display_name="Spare", role="clerk", password_hash=password_hash)
        session.add(spare)
        session.flush()
        user = spare.id
    index_document(services, doc)
    uploads = [api.post("/api/v1/uploads", headers={**auth, **TUS_NEW}).headers["location"].rsplit("/", 1)[1]
               for auth in (keys.auth("clerk"), people.auth("clerk"))]
    return World(batch=batch, user_batch=user_batch, doc=doc, record=record, key=key, user=user,
                 upload=uploads[0], user_upload=uploads[1], sessions=session_factory, part=part)


TUS = {"Tus-Resumable": "1.0.0"}
TUS_NEW = {**TUS, "Upload-Length": "10", "Upload-Metadata": "filename eC5wbmc="}
TUS_EMPTY_CHUNK = {**TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}


ADMIN, CLERK, OFFICER, PORTAL = "admin", "clerk", "officer", "portal"
SIGNED_IN = frozenset(USER_ROLES)  # routes about the caller's own session: people only, any role
_names = itertools.count()


def _files(name: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"files": [("files", (name, filegen.png(name)))]}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    allowed: frozenset[str]  # roles that may call it, with a key or with a session alike
    events: int  # audit events per allowed call
    body: Callable[[World], dict[str, Any]] | None = None

    @property
    def template(self) -> str:
        return (self.path.split("?")[0].replace("{batch}", "{batch_id}").replace("{doc}", "{document_id}")
                .replace("{record}", "{record_id}").replace("{key}", "{key_id}").replace("{user}", "{user_id}")
                .replace("/pages/1/", "/pages/{number}/").replace("{upload}", "{upload_id}")
                .replace("{part}", "{part_id}").replace("/parts/0/", "/parts/{index}/"))

    def url(self, w: World, *, as_user: bool) -> str:
        return self.path.format(batch=w.user_batch if as_user else w.batch, doc=w.doc, record=w.record,
                                key=w.key, user=w.user, upload=w.user_upload if as_user else w.upload, part=w.part)

    def call(self, api, url: str, headers: dict[str, str], w: World):
        extra = self.body(w) if self.body else {}
        return getattr(api, self.method)(url, headers={**headers, **extra.pop("headers", {})}, **extra)


def _r(method: str, path: str, allowed: set[str] | frozenset[str], events: int,
       body: Callable[[World], dict[str, Any]] | None = None) -> Route:
    return Route(method, path, frozenset(allowed) | ({ADMIN} if allowed != SIGNED_IN else set()), events, body)


ROUTES = [
    _r("post", "/api/v1/batches", {CLERK}, 1, _files("x.png")),
    _r("get", "/api/v1/batches", {CLERK}, 0),
    _r("post", "/api/v1/batches/open", {CLERK}, 1, lambda w: {"json": {"client_key": f"web-key-{next(_names):04d}"}}),
    _r("get", "/api/v1/batches/codes", {CLERK}, 0),
    _r("get", "/api/v1/batches/{batch}", {CLERK}, 0),
    _r("post", "/api/v1/batches/{batch}/files", {CLERK}, 1, _files("y.png")),
    _r("get", "/api/v1/documents", {OFFICER}, 1),
    _r("get", "/api/v1/documents/{doc}", {OFFICER}, 1),
    _r("get", "/api/v1/documents/{doc}/pages/1/image", {OFFICER, PORTAL}, 1),
    _r("get", "/api/v1/documents/{doc}/pages/1/words", {OFFICER}, 1),
    _r("get", "/api/v1/review", {OFFICER}, 1),
    _r("get", "/api/v1/documents/{doc}/original", {OFFICER, PORTAL}, 1),
    _r("get", "/api/v1/documents/{doc}/searchable.pdf", {OFFICER, PORTAL}, 1),
    _r("get", "/api/v1/documents/{doc}/parts", {OFFICER}, 0),
    _r("get", "/api/v1/parts/{part}/original", {OFFICER, PORTAL}, 1),
    _r("get", "/api/v1/parts/{part}/searchable.pdf", {OFFICER, PORTAL}, 1),
    _r("get", "/api/v1/search?q=Lộc", {OFFICER}, 1),
    _r("get", f"/api/v1/records?owner_id={CHILD_ID}", {OFFICER, PORTAL}, 1),
    _r("get", "/api/v1/records/{record}", {OFFICER, PORTAL}, 1),
    _r("patch", "/api/v1/records/{record}", {OFFICER}, 1, lambda w: {"json": {"confirm": True}}),
    _r("get", "/api/v1/records/{record}/history", {OFFICER}, 1),
    _r("get", "/api/v1/users", set(), 0),
    _r("post", "/api/v1/users", set(), 1,
       lambda w: {"json": {"username": f"new{next(_names)}", "display_name": "Mới", "role": "clerk"}}),
    _r("get", "/api/v1/users/{user}", set(), 0),
    _r("patch", "/api/v1/users/{user}", set(), 1, lambda w: {"json": {"display_name": "Dự phòng"}}),
    _r("post", "/api/v1/users/{user}/reset-password", set(), 1),
    _r("get", "/api/v1/keys", set(), 0),
    _r("post", "/api/v1/keys", set(), 1, lambda w: {"json": {"role": "portal", "name": "p"}}),
    _r("patch", "/api/v1/keys/{key}", set(), 1, lambda w: {"json": {"expires_at": None}}),
    _r("delete", "/api/v1/keys/{key}", set(), 1),
    _r("get", "/api/v1/audit", set(), 1),
    _r("get", "/api/v1/audit/export", set(), 1),
    _r("post", "/api/v1/documents/{doc}/retry", set(), 1, lambda w: w.failed()),
    _r("post", "/api/v1/retry", set(), 0, lambda w: {"json": {"error_code": "none_such"}}),
    _r("post", "/api/v1/uploads", {CLERK}, 0, lambda w: {"headers": TUS_NEW}),
    _r("head", "/api/v1/uploads/{upload}", {CLERK}, 0, lambda w: {"headers": TUS}),
    _r("patch", "/api/v1/uploads/{upload}", {CLERK}, 0, lambda w: {"headers": TUS_EMPTY_CHUNK}),
    _r("get", "/api/v1/uploads/{upload}", {CLERK}, 0),
    _r("delete", "/api/v1/uploads/{upload}", {CLERK}, 0, lambda w: {"headers": TUS}),
    _r("get", "/api/v1/session", SIGNED_IN, 0),
    _r("put", "/api/v1/session/password", SIGNED_IN, 1,
       lambda w: {"json": {"current_password": PASSWORD, "new_password": "một mật khẩu mới"}}),
]
# Anyone: health, tus discovery, signing in (it makes the session), signing out (always 204:
# ending an ended session or none is not an error), the web app's screens (one HTML shell each,
# no data: a signed-in role the screen is not for is sent home) and files, the API docs.
PUBLIC = {("get", "/healthz"), ("options", "/api/v1/uploads"), ("post", "/api/v1/session"),
          ("delete", "/api/v1/session"), *(("get", screen) for screen in SCREENS),
          ("mount", "/web"), ("get", "/docs"), ("get", "/docs/oauth2-redirect"), ("get", "/redoc"),
          ("get", "/openapi.json"), ("mount", "/static-offline-docs")}


# An officer's boundary changes: the world's one-page file cannot be split or merged, so an
# allowed caller gets 400 invalid_boundary (tests/integration/test_api_parts.py makes them).
PART_EDITS = [_r("post", "/api/v1/documents/{doc}/parts/0/split", {OFFICER}, 0, lambda w: {"json": {"at_page": 2}}),
              _r("post", "/api/v1/documents/{doc}/parts/0/merge", {OFFICER}, 0, lambda w: {"json": {}}),
              _r("post", "/api/v1/documents/{doc}/parts/0/move", {OFFICER}, 0, lambda w: {"json": {"first_page": 2}})]


@pytest.mark.parametrize("route", PART_EDITS, ids=[r.path for r in PART_EDITS])
def test_only_officers_change_parts(api, keys, people, world, session_factory, route):
    assert route.call(api, route.url(world, as_user=False), {}, world).status_code == 401
    for auth, roles in ((keys, ROLES), (people, USER_ROLES)):
        for role in roles:
            before = audit_count(session_factory)
            response = route.call(api, route.url(world, as_user=auth is people),
                                  {**auth.auth(role), "X-Purpose": PURPOSE}, world)
            expected = (400, "invalid_boundary") if role in route.allowed else (403, "forbidden")
            assert (response.status_code, response.json()["error"]["code"]) == expected, role
            assert audit_count(session_factory) == before


def app_routes(app) -> set[tuple[str, str]]:
    """Every (method, path) the app answers, from its routing table (OpenAPI leaves some out)."""
    found: set[tuple[str, str]] = set()
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if isinstance(route.route, Mount):
            found.add(("mount", path))
            continue
        methods = route.methods or set()
        found |= {(m.lower(), path) for m in methods if m != "HEAD" or "GET" not in methods}  # GET's own HEAD
    return found


def test_the_table_covers_every_route(api):
    """A route added without a row here fails this test: say who may call it."""
    listed = {(r.method, r.template) for r in ROUTES + PART_EDITS} | PUBLIC
    assert app_routes(api.app) == listed
    assert len(listed) == len(ROUTES) + len(PART_EDITS) + len(PUBLIC)  # no route listed twice


def audit_count(session_factory) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent))


def last_event(session_factory) -> AuditEvent:
    with session_factory() as session:
        return session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()


def _expect(route: Route, role: str, response, session_factory, before: int, *, signed_in: bool) -> None:
    own_session = route.allowed == SIGNED_IN
    if role not in route.allowed or (own_session and not signed_in):
        expected = (401, "not_signed_in") if own_session else (403, "forbidden")
        code = expected[1] if route.method == "head" else response.json()["error"]["code"]  # HEAD has no body
        assert (response.status_code, code) == expected, (role, response.text)
        assert audit_count(session_factory) == before
        return
    assert response.status_code in (200, 201, 202, 204), (role, signed_in, response.text)
    assert audit_count(session_factory) == before + route.events, role
    if route.events:
        event = last_event(session_factory)
        reads = route.path.startswith(("/api/v1/records", "/api/v1/documents", "/api/v1/search", "/api/v1/review",
                                       "/api/v1/parts")) and not route.path.endswith("/retry")
        assert (event.role, event.purpose) == (role, PURPOSE if reads else None)
        assert (event.user_id is not None, event.key_id is not None) == (signed_in, not signed_in)


@pytest.mark.parametrize("route", ROUTES, ids=[f"{r.method} {r.path}" for r in ROUTES])
def test_each_role_on_each_route(api, keys, people, world, session_factory, route):
    """Every route, anonymous, then with a key of each role, then with a session of each
    person's role: the same roles get in, the same events are written, naming who."""
    anonymous = route.call(api, route.url(world, as_user=False), {}, world)
    assert anonymous.status_code == 401, anonymous.text
    for role in ROLES:
        before = audit_count(session_factory)
        headers = {**keys.auth(role), "X-Purpose": PURPOSE}
        response = route.call(api, route.url(world, as_user=False), headers, world)
        _expect(route, role, response, session_factory, before, signed_in=False)
    for role in USER_ROLES:
        before = audit_count(session_factory)
        url = route.url(world, as_user=True)
        if route.method not in ("get", "head"):  # a session without its CSRF token changes nothing
            refused = route.call(api, url, {**people.auth(role, csrf=False), "X-Purpose": PURPOSE}, world)
            assert (refused.status_code, refused.json()["error"]["code"]) == (403, "csrf_failed"), refused.text
            assert audit_count(session_factory) == before
        response = route.call(api, url, {**people.auth(role), "X-Purpose": PURPOSE}, world)
        _expect(route, role, response, session_factory, before, signed_in=True)
        if role in route.allowed and route.events:  # the person, not some key
            assert last_event(session_factory).user_id == people.ids[role]


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


def test_a_persons_corrections_and_confirmations_name_them(api, people, world, session_factory):
    response = api.patch(f"/api/v1/records/{world.record}", headers=people.auth("officer"),
                         json={"fields": {"doc_number": "12/TLKS"}, "confirm": True, "note": "đọc lại bản gốc"})
    assert response.status_code == 200, response.text
    history = api.get(f"/api/v1/records/{world.record}/history", headers=people.auth("officer")).json()
    assert {(c["field"], c["user_id"], c["key_id"]) for c in history["corrections"]} == {
        ("doc_number", people.ids["officer"], None), ("review_state", people.ids["officer"], None)}
    with session_factory() as session:
        record = session.get(Record, world.record)
        assert (record.confirmed_by_user_id, record.confirmed_by_key_id) == (people.ids["officer"], None)
