"""Lookup by day, corrections with history and re-indexing, keys over HTTP, the audit log."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from sohoa.core.models import ApiKey, AuditEvent
from tests.records_support import PERMIT_ID, uploaded_permit
from workers.jobs.indexing import index_document

PURPOSE = "000.00.14.H56-230415-0012"


@pytest.fixture
def permit(api, keys, session_factory, services) -> str:
    """A building permit valid 2023-03-12 … 2024-03-12 for PERMIT_ID; returns the record id."""
    doc, record = uploaded_permit(api, keys, session_factory)
    index_document(services, doc)
    return record


def lookup(api, keys, day: str | None = None) -> list[str]:
    params = {"owner_id": PERMIT_ID, **({"valid_on": day} if day else {})}
    response = api.get("/api/v1/records", params=params, headers={**keys.auth("portal"), "X-Purpose": PURPOSE})
    assert response.status_code == 200, response.text
    return [r["id"] for r in response.json()["records"]]


def search(api, keys, **params) -> int:
    response = api.get("/api/v1/search", params={"q": "giấy phép", **params}, headers=keys.auth("officer"))
    assert response.status_code == 200, response.text
    return response.json()["total"]


def test_lookup_returns_only_records_valid_that_day(api, keys, permit):
    assert lookup(api, keys, "2024-03-12") == [permit]  # last valid day
    assert lookup(api, keys, "2024-03-13") == []  # the day after
    assert lookup(api, keys, "2023-03-11") == []  # before issue
    assert lookup(api, keys) == []  # today (Vietnam) is long after 2024
    body = api.get("/api/v1/records", params={"owner_id": PERMIT_ID, "valid_on": "2024-01-01"},
                   headers=keys.auth("officer")).json()
    assert body["valid_on"] == "2024-01-01" and body["records"][0]["valid"] is True
    assert body["records"][0]["fields"]["valid_until"] == {
        "value": "2024-03-12", "confidence": body["records"][0]["fields"]["valid_until"]["confidence"],
        "page": 1, "span": body["records"][0]["fields"]["valid_until"]["span"], "source": "extracted",
        "problems": body["records"][0]["fields"]["valid_until"]["problems"]}
    bad = api.get("/api/v1/records", params={"owner_id": "12345"}, headers=keys.auth("officer"))
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_owner_id"


def test_search_filters_by_owner_type_and_validity(api, keys, permit):
    assert search(api, keys, owner_id=PERMIT_ID) == 1
    assert search(api, keys, owner_id="001085000111") == 0
    assert search(api, keys, doc_type="giay_phep_xay_dung", valid_on="2024-03-12") == 1
    assert search(api, keys, doc_type="giay_phep_xay_dung", valid_on="2024-03-13") == 0
    assert search(api, keys, doc_type="quyet_dinh") == 0


def test_corrections_keep_history_and_reindex(api, keys, permit, session_factory):
    officer = keys.auth("officer")
    response = api.patch(f"/api/v1/records/{permit}", headers=officer, json={
        "fields": {"valid_until": "2030-12-31", "doc_number": "390/GPXD"}, "note": "gia hạn"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["valid_until"] == "2030-12-31" and body["fields"]["doc_number"]["source"] == "officer"
    assert body["review_state"] == "extracted"
    assert lookup(api, keys, "2030-12-31") == [permit] and lookup(api, keys, "2031-01-01") == []
    assert search(api, keys, owner_id=PERMIT_ID, valid_on="2030-12-31") == 1  # re-indexed
    assert (
        api.patch(f"/api/v1/records/{permit}", headers=officer, json={"confirm": True}).json()["review_state"]
        == "confirmed"
    )
    other = api.get(f"/api/v1/records?owner_id={PERMIT_ID}&valid_on=2023-06-01", headers=officer).json()["records"][0]
    assert other["id"] == permit
    revoked = api.patch(f"/api/v1/records/{permit}", headers=officer, json={"legal_status": "revoked"})
    assert revoked.json()["legal_status"] == "revoked" and revoked.json()["valid"] is False
    assert lookup(api, keys, "2024-01-01") == []
    assert search(api, keys, owner_id=PERMIT_ID, valid_on="2024-01-01") == 0
    history = api.get(f"/api/v1/records/{permit}/history", headers=officer).json()["corrections"]
    with session_factory() as session:
        officer_id = session.scalar(select(ApiKey.id).where(ApiKey.role == "officer"))
    assert [(h["field"], h["old_value"], h["new_value"], h["key_id"]) for h in history] == [
        ("valid_until", "2024-03-12", "2030-12-31", officer_id),
        ("doc_number", "389/GPXD", "390/GPXD", officer_id),
        ("review_state", "extracted", "confirmed", officer_id),
        ("legal_status", "in_force", "revoked", officer_id),
    ]
    assert history[0]["note"] == "gia hạn"
    for payload, code in [
        ({}, "empty_patch"),
        ({"legal_status": "replaced"}, "replaced_by_required"),
        ({"fields": {"owner_id": "1"}}, "invalid_owner_id"),
        ({"legal_status": "replaced", "replaced_by": "nope"}, "not_found"),
    ]:
        response = api.patch(f"/api/v1/records/{permit}", headers=officer, json=payload)
        assert response.json()["error"]["code"] == code, payload
    assert len(api.get(f"/api/v1/records/{permit}/history", headers=officer).json()["corrections"]) == 4


def test_keys_over_http(api, keys):
    admin = keys.auth("admin")
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    created = api.post(
        "/api/v1/keys",
        headers=admin,
        json={"role": "portal", "name": "cổng DVC", "agency": "Sở TP", "expires_at": past},
    )
    assert created.status_code == 201
    secret, key_id = created.json()["secret"], created.json()["key"]["id"]
    portal = {"Authorization": f"Bearer {secret}", "X-Purpose": PURPOSE}
    url = f"/api/v1/records?owner_id={PERMIT_ID}"
    assert api.get(url, headers=portal).json()["error"]["code"] == "expired_api_key"
    assert api.patch(f"/api/v1/keys/{key_id}", headers=admin, json={"expires_at": None}).json()["active"] is True
    assert api.get(url, headers=portal).status_code == 200
    listed = api.get("/api/v1/keys", headers=admin)
    assert secret not in listed.text and "key_hash" not in listed.text
    mine = next(k for k in listed.json() if k["id"] == key_id)
    assert mine["last_used_at"] is not None and mine["agency"] == "Sở TP"
    assert api.delete(f"/api/v1/keys/{key_id}", headers=admin).json()["active"] is False
    assert api.get(url, headers=portal).json()["error"]["code"] == "revoked_api_key"
    admin_id = next(k["id"] for k in listed.json() if k["role"] == "admin")
    response = api.delete(f"/api/v1/keys/{admin_id}", headers=admin)
    assert response.status_code == 409 and response.json()["error"]["code"] == "last_admin_key"
    bad = api.post("/api/v1/keys", headers=admin, json={"role": "root", "name": "x"})
    assert bad.status_code == 422


def test_audit_query_export_and_no_way_to_change_it(api, keys, permit, session_factory):
    portal = {**keys.auth("portal"), "X-Purpose": PURPOSE}
    api.get(f"/api/v1/records?owner_id={PERMIT_ID}", headers=portal)
    api.get(f"/api/v1/records/{permit}", headers=keys.auth("officer"))
    admin = keys.auth("admin")
    with session_factory() as session:
        before = {e.id: (e.action, e.owner_id, e.purpose) for e in session.scalars(select(AuditEvent))}
    body = api.get("/api/v1/audit", params={"owner_id": PERMIT_ID}, headers=admin).json()
    assert [e["action"] for e in body["events"]] == ["record.read", "record.lookup"]
    assert body["events"][1]["purpose"] == PURPOSE and body["next_before_id"] is None
    portal_key = body["events"][1]["key_id"]
    by_key = api.get("/api/v1/audit", params={"key_id": portal_key}, headers=admin).json()["events"]
    assert [(e["action"], e["role"]) for e in by_key] == [("record.lookup", "portal")]
    everything = api.get("/api/v1/audit", params={"owner_id": PERMIT_ID}, headers=admin).json()["events"]
    walked, before_id = [], everything[0]["id"] + 1  # pages of one; queries logged meanwhile are newer
    while before_id is not None:
        page = api.get(
            "/api/v1/audit", params={"owner_id": PERMIT_ID, "limit": 1, "before_id": before_id}, headers=admin
        ).json()
        walked += page["events"]
        before_id = page["next_before_id"]
    assert walked == everything and everything[0]["action"] == "audit.query"  # auditors are audited too
    future = api.get("/api/v1/audit", params={"from": "2999-01-01T00:00:00"}, headers=admin).json()
    assert future["events"] == []
    exported = api.get("/api/v1/audit/export", params={"owner_id": PERMIT_ID}, headers=admin)
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["action"] for r in rows][:2] == ["record.lookup", "record.read"] and rows[0]["purpose"] == PURPOSE
    ids = [int(r["id"]) for r in rows]
    assert ids == sorted(ids) and {e["id"] for e in everything} <= set(ids)  # oldest first, nothing missing
    lines = api.get("/api/v1/audit/export?format=jsonl", headers=admin).text.splitlines()
    assert len(lines) >= len(before) and json.loads(lines[0])["id"] == min(before)
    for method in ("put", "patch", "delete"):
        for url in ("/api/v1/audit", "/api/v1/audit/export"):
            response = getattr(api, method)(url, headers=admin)
            assert response.status_code == 405, (method, url)
    with session_factory() as session:
        after = {e.id: (e.action, e.owner_id, e.purpose) for e in session.scalars(select(AuditEvent))}
    assert {k: after[k] for k in before} == before and len(after) > len(before)  # only grows
