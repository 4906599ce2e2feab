"""Admins manage people over HTTP; the last-admin guard; what an agency limits, for users
and keys alike; audit events that name the person."""

from __future__ import annotations

import csv
import io
import json
import re

from sqlalchemy import select

from sohoa.core.db import session_scope
from sohoa.core.models import AuditEvent, Batch, SignInFailure, Upload
from sohoa.domain.keys import create_key
from tests import filegen
from tests.conftest import PASSWORD
from tests.integration.accounts_support import add_user, events, session_headers, sign_in
from tests.integration.upload_support import TUS, UPLOADS, metadata

ONE_TIME = re.compile(r"^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$")


def test_admins_create_list_change_and_reset_users(api, people, session_factory):
    admin = people.auth("admin")
    created = api.post("/api/v1/users", headers=admin,
                       json={"username": "Spare", "display_name": " Trần  Văn Bình ", "role": "officer"})
    assert created.status_code == 201, created.text
    user, password = created.json()["user"], created.json()["password"]
    assert ONE_TIME.match(password) and "password_hash" not in created.text
    assert (user["username"], user["display_name"], user["role"], user["agency"]) == (
        "spare", "Trần Văn Bình", "officer", None)
    refusals = [
        (api.post("/api/v1/users", headers=admin, json={"username": "SPARE", "display_name": "x", "role": "clerk"}),
         409, "username_taken"),
        (api.post("/api/v1/users", headers=admin, json={"username": "a b", "display_name": "x", "role": "clerk"}),
         400, "invalid_username"),
        (api.post("/api/v1/users", headers=admin, json={"username": "p", "display_name": "x", "role": "portal"}),
         422, "validation_error"),  # portal is for API keys only
        (api.patch("/api/v1/users/4242", headers=admin, json={"role": "clerk"}), 404, "not_found"),
        (api.patch(f"/api/v1/users/{user['id']}", headers=admin, json={"disabled": None}), 400, "invalid_value"),
    ]
    assert [(r.status_code, r.json()["error"]["code"]) for r, *_ in refusals] == [(s, c) for _, s, c in refusals]
    listed = api.get("/api/v1/users", headers=admin).json()
    assert [u["username"] for u in listed] == ["spare", "test-admin", "test-clerk", "test-officer"]
    assert api.get(f"/api/v1/users/{user['id']}", headers=admin).json() == user

    # A new role counts from the next request on.
    clerk = people.ids["clerk"]
    assert api.get("/api/v1/search?q=x", headers=people.auth("clerk")).status_code == 403
    promoted = api.patch(f"/api/v1/users/{clerk}", headers=admin, json={"role": "officer", "agency": "UBND-A"})
    assert promoted.json()["role"] == "officer" and promoted.json()["agency"] == "UBND-A"
    assert api.get("/api/v1/search?q=x", headers=people.auth("clerk")).status_code == 200

    with session_scope(session_factory) as session:  # locked out after too many guesses
        session.add_all(SignInFailure(username="test-clerk", address="x", locks_username=True) for _ in range(3))
    reset = api.post(f"/api/v1/users/{clerk}/reset-password", headers=admin)
    assert reset.status_code == 200 and ONE_TIME.match(reset.json()["password"])
    assert reset.json()["user"]["must_change_password"] is True
    assert api.get("/api/v1/session", headers=people.auth("clerk")).json()["error"]["code"] == "invalid_session"
    assert sign_in(api, "test-clerk", PASSWORD).status_code == 401  # the old password is gone
    assert sign_in(api, "test-clerk", reset.json()["password"]).status_code == 201  # and the lock
    assert [e.action for e in _admin_events(session_factory, people.ids["admin"])] == [
        "user.create", "user.update", "user.password_reset"]


def _admin_events(session_factory, admin_id: int) -> list[AuditEvent]:
    with session_factory() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.user_id == admin_id,
                                                             AuditEvent.action.like("user.%")).order_by(AuditEvent.id)))


def test_the_last_admin_cannot_be_taken_away(api, people, session_factory, keys):
    me = people.ids["admin"]
    admin = people.auth("admin")
    for change in ({"disabled": True}, {"role": "clerk"}, {"agency": "UBND-A"}):
        response = api.patch(f"/api/v1/users/{me}", headers=admin, json=change)
        assert (response.status_code, response.json()["error"]["code"]) == (409, "last_admin"), change
        response = api.patch(f"/api/v1/users/{me}", headers=keys.auth("admin"), json=change)  # by a key neither
        assert response.status_code == 409
    scoped = api.post("/api/v1/users", headers=admin,
                      json={"username": "a2", "display_name": "A", "role": "admin", "agency": "UBND-A"})
    assert api.patch(f"/api/v1/users/{me}", headers=admin, json={"disabled": True}).status_code == 409
    other = scoped.json()["user"]["id"]
    assert api.patch(f"/api/v1/users/{other}", headers=admin, json={"agency": None}).status_code == 200
    response = api.patch(f"/api/v1/users/{me}", headers=admin, json={"disabled": True})  # now there is another
    assert response.status_code == 200 and response.json()["disabled"] is True
    assert api.get("/api/v1/users", headers=admin).json()["error"]["code"] == "invalid_session"  # ended at once


def test_an_admin_with_an_agency_still_manages_every_agency(api, people, keys, session_factory, password_hash):
    _, token = add_user(session_factory, password_hash, "admin-a", "admin", agency="UBND-A")
    admin_a = session_headers(token)
    made = api.post("/api/v1/users", headers=admin_a,
                    json={"username": "binh", "display_name": "B", "role": "clerk", "agency": "UBND-B"})
    assert made.status_code == 201 and made.json()["user"]["agency"] == "UBND-B"
    assert api.get(f"/api/v1/users/{people.ids['clerk']}", headers=admin_a).status_code == 200
    assert len(api.get("/api/v1/users", headers=admin_a).json()) == 5
    key = api.post("/api/v1/keys", headers=admin_a, json={"role": "portal", "name": "p", "agency": "UBND-B"})
    assert key.status_code == 201 and key.json()["key"]["agency"] == "UBND-B"
    upload = api.post("/api/v1/batches", headers=admin_a, data={"agency_code": "UBND-B"},
                      files=[("files", ("a.png", filegen.png("a")))])
    assert upload.status_code == 202
    assert api.get("/api/v1/batches", headers=admin_a).json()["total"] == 1


def test_an_agency_limits_batches_the_same_for_users_and_keys(api, people, keys, session_factory, password_hash):
    clerk_a_id, clerk_a = add_user(session_factory, password_hash, "clerk-a", "clerk", agency="UBND-A")
    clerk_b_id, clerk_b = add_user(session_factory, password_hash, "clerk-b", "clerk", agency="UBND-B")
    with session_scope(session_factory) as session:
        key_a = create_key(session, role="clerk", name="a", agency="UBND-A")[1]
        key_b = create_key(session, role="clerk", name="b", agency="UBND-B")[1]

    def upload(headers: dict[str, str], **data: str):
        return api.post("/api/v1/batches", headers=headers, data=data, files=[("files", ("a.png", filegen.png("a")))])

    made = upload(session_headers(clerk_a))
    assert made.status_code == 202, made.text
    batch = made.json()["batch_id"]
    wrong = upload(session_headers(clerk_a), agency_code="UBND-B")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (403, "agency_mismatch")
    assert upload({"Authorization": f"Bearer {key_a}"}, agency_code="UBND-B").status_code == 403

    def status(headers: dict[str, str]) -> int:
        return api.get(f"/api/v1/batches/{batch}", headers=headers).status_code

    assert api.get(f"/api/v1/batches/{batch}", headers=session_headers(clerk_a)).json()["agency_code"] == "UBND-A"
    seen = [status(h) for h in (session_headers(clerk_b), {"Authorization": f"Bearer {key_b}"},
                                {"Authorization": f"Bearer {key_a}"}, people.auth("clerk"), keys.auth("clerk"))]
    assert seen == [404, 404, 200, 200, 200]  # another agency: as if absent; same agency or none: seen

    def add(headers: dict[str, str]) -> int:
        return api.post(f"/api/v1/batches/{batch}/files", headers=headers,
                        files=[("files", ("b.png", filegen.png("b")))]).status_code

    # Same agency but not its creator: refused; another agency: not found; the creator: yes.
    assert [add({"Authorization": f"Bearer {key_a}"}), add(session_headers(clerk_b)),
            add(session_headers(clerk_a))] == [403, 404, 202]

    # The lists apply the same rules, and name the person who uploaded.
    listed = api.get("/api/v1/batches", headers=session_headers(clerk_a)).json()["batches"]
    assert [(b["id"], b["created_by_user_id"], b["created_by_key_id"], b["created_by_name"]) for b in listed] == [
        (batch, clerk_a_id, None, "Clerk-A")]
    assert api.get("/api/v1/batches", headers=session_headers(clerk_b)).json()["total"] == 0
    mine = api.get(f"/api/v1/batches?created_by_user_id={clerk_a_id}", headers=people.auth("admin")).json()
    assert [b["id"] for b in mine["batches"]] == [batch]
    with session_scope(session_factory) as session:  # a batch of no agency that clerk-b uploaded (before scoping)
        session.add(Batch(id="legacy", created_by_user_id=clerk_b_id))
    assert [b["id"] for b in api.get("/api/v1/batches", headers=session_headers(clerk_b)).json()["batches"]] == [
        "legacy"]
    assert api.get("/api/v1/batches/legacy", headers=session_headers(clerk_a)).status_code == 404


def test_audit_events_name_the_person_and_filter_by_them(api, people, keys, session_factory):
    officer = people.ids["officer"]
    api.get("/api/v1/search?q=x", headers=people.auth("officer"))
    api.get("/api/v1/search?q=y", headers=keys.auth("officer"))
    admin = people.auth("admin")
    mine = api.get(f"/api/v1/audit?user_id={officer}", headers=admin).json()["events"]
    assert [(e["action"], e["user_id"], e["key_id"], e["role"]) for e in mine] == [("search", officer, None, "officer")]
    exported = api.get(f"/api/v1/audit/export?user_id={officer}", headers=admin).text
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert list(rows[0])[:3] == ["id", "at", "key_id"] and list(rows[0])[-1] == "user_id"  # old columns in place
    assert [(r["action"], r["user_id"], r["key_id"]) for r in rows] == [("search", str(officer), "")]
    lines = api.get("/api/v1/audit/export?format=jsonl", headers=admin).text.splitlines()
    by_key = [json.loads(line) for line in lines if json.loads(line)["action"] == "search"]
    assert [(e["user_id"] is None, e["key_id"] is None) for e in by_key] == [(False, True), (True, False)]
    query = events(session_factory, "audit.query")
    assert query[-1].user_id == people.ids["admin"] and (query[-1].detail or {})["user_id"] == officer



def test_a_persons_resumable_upload_is_theirs_and_joins_their_agency(api, session_factory, password_hash):
    clerk_a_id, clerk_a = add_user(session_factory, password_hash, "clerk-a", "clerk", agency="UBND-A")
    _, clerk_b = add_user(session_factory, password_hash, "clerk-b", "clerk", agency="UBND-B")
    data = filegen.png("tus")
    mine = {**TUS, **session_headers(clerk_a)}
    refused = api.post(UPLOADS, headers={**mine, "Upload-Length": str(len(data)),
                                         "Upload-Metadata": metadata(filename="a.png", agency_code="UBND-B")})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "agency_mismatch")
    created = api.post(UPLOADS, headers={**mine, "Upload-Length": str(len(data)),
                                         "Upload-Metadata": metadata(filename="a.png")})
    assert created.status_code == 201, created.text
    url = created.headers["location"]
    assert api.head(url, headers={**TUS, **session_headers(clerk_b)}).status_code == 404  # someone else's
    chunk = {**TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
    no_token = api.patch(url, content=data, headers={**chunk, **session_headers(clerk_a, csrf=False)})
    assert (no_token.status_code, no_token.json()["error"]["code"]) == (403, "csrf_failed")
    assert api.patch(url, content=data, headers={**chunk, **session_headers(clerk_a)}).status_code == 204
    result = api.get(url, headers=session_headers(clerk_a)).json()
    assert result["state"] == "done" and result["document"]["id"]
    with session_factory() as session:
        batch = session.get(Batch, result["batch_id"])
        upload = session.get(Upload, url.rsplit("/", 1)[1])
        assert batch is not None and upload is not None
        assert (batch.created_by_user_id, batch.created_by_key_id, batch.agency_code) == (clerk_a_id, None, "UBND-A")
        assert upload.owner == f"user:{clerk_a_id}"  # the quota and access are the person's
    [event] = events(session_factory, "batch.create")
    assert (event.user_id, event.key_id, event.agency) == (clerk_a_id, None, "UBND-A")
