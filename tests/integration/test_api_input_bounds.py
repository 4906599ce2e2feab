"""Inputs at the edges of their types are a 4xx with a stable code, never a 500 (issue 14,
findings 5 and 11): instants near year 1 or 9999, integers past the database's, NUL
characters, and an audit export whose query fails."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sohoa.core.models import ApiKey, AuditEvent, Batch, Document, User
from tests import filegen
from tests.integration.upload_support import TUS, UPLOADS, metadata

EDGE_INSTANTS = ["0001-01-01T00:00:00", "0001-01-01T03:00:00+05:00", "9999-12-31T23:59:59-05:00",
                 "9999-12-31T20:00:00"]  # no zone = Vietnam (UTC+7) for the audit log: still fine


def count(session_factory, model, *where) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


@pytest.mark.parametrize("when", EDGE_INSTANTS[:3])
@pytest.mark.parametrize("param", ["from", "to"])
def test_audit_filters_near_year_1_or_9999_are_400_not_500(api, keys, session_factory, param, when):
    for url in ("/api/v1/audit", "/api/v1/audit/export"):
        response = api.get(url, params={param: when}, headers=keys.auth("admin"))
        assert response.status_code == 400, (url, response.text)
        assert response.json()["error"]["code"] == "date_out_of_range"
        assert response.json()["error"]["detail"]["field"] == param
    assert count(session_factory, AuditEvent, AuditEvent.action.in_(["audit.query", "audit.export"])) == 0


def test_an_audit_filter_at_the_last_representable_instant_works(api, keys):
    response = api.get("/api/v1/audit", params={"from": EDGE_INSTANTS[3]}, headers=keys.auth("admin"))
    assert response.status_code == 200 and response.json()["events"] == []


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+07:00"])
def test_key_expiry_outside_utc_is_400_and_creates_nothing(api, keys, session_factory, when):
    before = count(session_factory, ApiKey)
    created = api.post("/api/v1/keys", json={"role": "clerk", "name": "x", "expires_at": when},
                       headers=keys.auth("admin"))
    assert created.status_code == 400 and created.json()["error"]["code"] == "date_out_of_range", created.text
    assert count(session_factory, ApiKey) == before
    key_id = api.get("/api/v1/keys", headers=keys.auth("admin")).json()[-1]["id"]
    patched = api.patch(f"/api/v1/keys/{key_id}", json={"expires_at": when}, headers=keys.auth("admin"))
    assert patched.status_code == 400 and patched.json()["error"]["code"] == "date_out_of_range"


def test_a_far_but_representable_key_expiry_is_kept(api, keys):
    created = api.post("/api/v1/keys", json={"role": "clerk", "name": "x", "expires_at": "9999-12-31T23:59:59Z"},
                       headers=keys.auth("admin"))
    assert created.status_code == 201 and created.json()["key"]["expires_at"].startswith("9999-12-31T23:59:59")
    assert created.json()["key"]["active"] is True


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_calendar_day_filters_at_the_ends_of_the_calendar_bound_nothing(api, keys, day):
    """The first and the last day a ``date`` holds have no UTC start / no next day: as
    bounds they leave every stored instant in (and as the other bound, none)."""
    admin = keys.auth("admin")
    upload = api.post("/api/v1/batches", files=[("files", ("a.png", filegen.png("edge"), "image/png"))],
                      headers=keys.auth("clerk"))
    assert upload.status_code == 202
    first_day = day == "0001-01-01"
    for url, since, until in (("/api/v1/batches", "created_from", "created_to"),
                              ("/api/v1/documents", "uploaded_from", "uploaded_to"),
                              ("/api/v1/review", "uploaded_from", "uploaded_to")):
        totals = {}
        for param in (since, until):
            response = api.get(url, params={param: day}, headers=admin)
            assert response.status_code == 200, (url, param, response.text)
            totals[param] = response.json()["total"]
        if url != "/api/v1/review":  # a queued document is in no review queue
            assert totals == ({since: 1, until: 0} if first_day else {since: 0, until: 1}), url
    for param in ("uploaded_from", "uploaded_to"):
        assert api.get("/api/v1/search", params={"q": "edge", param: day}, headers=admin).status_code == 200
    assert api.get("/api/v1/search", params={"q": "edge", "issue_year": 9999}, headers=admin).status_code == 200


HUGE = [2**31, 2**63, 2**64 + 1, 10**30]


@pytest.mark.parametrize("value", HUGE)
def test_integers_past_the_database_are_refused_by_the_schema(api, keys, value):
    admin = keys.auth("admin")
    responses = {
        "audit key_id": api.get("/api/v1/audit", params={"key_id": value}, headers=admin),
        "audit user_id": api.get("/api/v1/audit", params={"user_id": value}, headers=admin),
        "audit before_id": api.get("/api/v1/audit", params={"before_id": value}, headers=admin),
        "export key_id": api.get("/api/v1/audit/export", params={"key_id": value}, headers=admin),
        "batches key": api.get("/api/v1/batches", params={"created_by_key_id": value}, headers=admin),
        "batches user": api.get("/api/v1/batches", params={"created_by_user_id": value}, headers=admin),
        "batches page": api.get("/api/v1/batches", params={"page": value}, headers=admin),
        "documents page": api.get("/api/v1/documents", params={"page": value}, headers=admin),
        "review page": api.get("/api/v1/review", params={"page": value}, headers=admin),
        "patch key": api.patch(f"/api/v1/keys/{value}", json={"expires_at": None}, headers=admin),
        "delete key": api.delete(f"/api/v1/keys/{value}", headers=admin),
        "get user": api.get(f"/api/v1/users/{value}", headers=admin),
        "patch user": api.patch(f"/api/v1/users/{value}", json={"display_name": "x"}, headers=admin),
        "reset user": api.post(f"/api/v1/users/{value}/reset-password", headers=admin),
    }
    wrong = {name: (r.status_code, r.text[:120]) for name, r in responses.items()
             if (r.status_code, r.json()["error"]["code"]) != (422, "validation_error")}
    assert wrong == {}


def test_the_largest_id_the_database_holds_is_a_plain_404(api, keys):
    admin = keys.auth("admin")
    assert api.get(f"/api/v1/users/{2**31 - 1}", headers=admin).status_code == 404
    assert api.delete(f"/api/v1/keys/{2**31 - 1}", headers=admin).status_code == 404
    assert api.get("/api/v1/audit", params={"before_id": 2**31 - 1}, headers=admin).status_code == 200


# --- NUL characters: refused where they arrive ------------------------------------------------


def _raw_multipart(filename: bytes, data: bytes) -> bytes:
    """A body with the file name as raw bytes (httpx would percent-encode a NUL in it)."""
    return (b"--XyZ\r\nContent-Disposition: form-data; name=\"files\"; filename=\"" + filename + b"\"\r\n"
            b"Content-Type: image/png\r\n\r\n" + data + b"\r\n--XyZ--\r\n")


def _nul_requests(api, keys, people):
    admin, clerk, officer = keys.auth("admin"), keys.auth("clerk"), keys.auth("officer")
    png = ("a.png", filegen.png("nul"), "image/png")
    return {
        "query": api.get("/api/v1/search", params={"q": "a\x00b"}, headers=officer),
        "query filter": api.get("/api/v1/documents", params={"agency_code": "A\x00"}, headers=admin),
        "path": api.get("/api/v1/documents/ab%00cd", headers=officer),
        "path batch": api.get("/api/v1/batches/ab%00cd", headers=clerk),
        "json user": api.post("/api/v1/users", json={"username": "ab\x00", "display_name": "x", "role": "clerk"},
                              headers=admin),
        "json user name": api.post("/api/v1/users", json={"username": "abc", "display_name": "Trần\x00",
                                                          "role": "clerk"}, headers=admin),
        "json nested": api.post("/api/v1/retry", json={"document_ids": ["a\x00"]}, headers=admin),
        "json key": api.post("/api/v1/keys", json={"role": "clerk", "name": "k\x00"}, headers=admin),
        "json sign-in": api.post("/api/v1/session", json={"username": "test-clerk\x00", "password": "x"}),
        "json cookie patch": api.patch(f"/api/v1/users/{people.ids['clerk']}", json={"display_name": "\x00"},
                                       headers=people.auth("admin")),
        "form code": api.post("/api/v1/batches", files=[("files", png)], data={"agency_code": "UB\x00ND"},
                              headers=clerk),
        "form note": api.post("/api/v1/batches", files=[("files", png)], data={"note": "lô\x00"}, headers=clerk),
        "filename": api.post("/api/v1/batches", content=_raw_multipart(b"a\x00.png", png[1]),
                             headers={**clerk, "Content-Type": "multipart/form-data; boundary=XyZ"}),
        "tus filename": api.post(UPLOADS, headers={**TUS, **clerk, "Upload-Length": "10",
                                                    "Upload-Metadata": metadata(filename="a\x00.png")}),
        "tus code": api.post(UPLOADS, headers={**TUS, **clerk, "Upload-Length": "10",
                                                "Upload-Metadata": metadata(filename="a.png", agency_code="A\x00")}),
    }


def test_nul_characters_are_400_nul_character_everywhere_and_store_nothing(api, keys, people, session_factory):
    users_before = count(session_factory, User)
    responses = _nul_requests(api, keys, people)
    wrong = {name: (r.status_code, r.text[:160]) for name, r in responses.items()
             if r.status_code != 400 or r.json()["error"]["code"] != "nul_character"}
    assert wrong == {}
    assert count(session_factory, Batch) == 0 and count(session_factory, Document) == 0
    assert count(session_factory, User) == users_before
    with session_factory() as session:
        assert session.get(User, people.ids["clerk"]).display_name == "Test clerk"


def test_a_json_string_that_only_spells_backslash_u0000_is_not_a_nul(api, keys):
    response = api.post("/api/v1/keys", json={"role": "clerk", "name": "k\\u0000"}, headers=keys.auth("admin"))
    assert response.status_code == 201 and response.json()["key"]["name"] == "k\\u0000"


# --- The audit export: its query runs before it is logged and before the answer starts -------


def test_an_export_whose_stream_breaks_says_so_in_the_log(api, keys, session_factory, monkeypatch):
    """Fault injection (a database lost mid-stream cannot be caused inside one test): the
    third row fails. The export was logged before its first row and an
    ``audit.export_aborted`` event records how many rows went out."""
    from api.routes import audit as audit_route

    for _ in range(3):
        api.get("/api/v1/audit", headers=keys.auth("admin"))
    real, calls = audit_route.event_public, []

    def third_fails(event):
        calls.append(event.id)
        if len(calls) == 3:
            raise RuntimeError("connection lost")
        return real(event)

    monkeypatch.setattr(audit_route, "event_public", third_fails)
    broken = api.get("/api/v1/audit/export?format=jsonl", headers=keys.auth("admin"))
    assert len(broken.text.splitlines()) == 2  # the rows before the fault went out
    with session_factory() as session:
        actions = [(e.action, e.result_count) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-2:] == [("audit.export", None), ("audit.export_aborted", 2)]
