"""The portal lookup's quick path: its JSON is the validated model's, byte for byte; key
checks reused for a bounded time; the route as the spec describes it."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import TypeAdapter
from sqlalchemy import select

from api.deps import Caller
from api.records_view import RecordContext, record_public
from api.schemas_records import RecordListPublic
from sohoa.core.db import session_scope
from sohoa.core.models import ApiKey
from sohoa.core.vocab import PrincipalKind
from sohoa.domain.keys import revoke_key
from sohoa.domain.principal import Principal
from sohoa.domain.records import lookup_rows
from tests.records_support import PERMIT_ID, uploaded_permit

PURPOSE = "000.00.14.H56-230415-0012"
DAY = "2024-01-01"


@pytest.fixture
def permit(api, keys, session_factory) -> str:
    """A building permit valid 2023-03-12 … 2024-03-12 for PERMIT_ID; returns the record id."""
    return uploaded_permit(api, keys, session_factory)[1]


def _validated(session_factory, role: str, day: str) -> bytes:
    """The answer as the route built it before: every record through ``RecordPublic``'s
    validation, then FastAPI's serialization of the response model."""
    caller = Caller(Principal(kind=PrincipalKind.KEY, role=role, agency=None, name="t", key_id=1), PURPOSE)
    with session_factory() as session:
        rows = lookup_rows(session, owner_id=PERMIT_ID, valid_on=date.fromisoformat(day))
        ctx = RecordContext(session, rows)
        body = RecordListPublic(valid_on=date.fromisoformat(day), total=len(rows), records=[
            record_public(r, caller, ctx, day=date.fromisoformat(day), asked=PERMIT_ID) for r in rows])
    return TypeAdapter(RecordListPublic).dump_json(body)


def test_the_quick_answer_is_the_validated_one(api, keys, permit, session_factory):
    officer = keys.auth("officer")
    # an officer's correction: a field whose source is "officer", an instant set
    assert api.patch(f"/api/v1/records/{permit}", headers=officer,
                     json={"fields": {"doc_number": "123/GPXD"}, "confirm": True}).status_code == 200
    for role, headers in (("portal", {**keys.auth("portal"), "X-Purpose": PURPOSE}), ("officer", officer)):
        response = api.get("/api/v1/records", params={"owner_id": PERMIT_ID, "valid_on": DAY}, headers=headers)
        assert response.status_code == 200 and response.headers["content-type"] == "application/json"
        assert response.json()["total"] == 1, role
        assert response.content == _validated(session_factory, role, DAY), role
        # and it reads back as the model, which writes it out again unchanged
        assert RecordListPublic.model_validate_json(response.content).model_dump_json().encode() == response.content


def test_errors_are_unchanged(api, keys):
    portal = {**keys.auth("portal"), "X-Purpose": PURPOSE}
    assert api.get("/api/v1/records", headers=portal).json()["error"]["code"] == "owner_id_required"
    assert api.get("/api/v1/records", params={"owner_id": PERMIT_ID},
                   headers=keys.auth("portal")).json()["error"]["code"] == "purpose_required"
    bad = api.get("/api/v1/records", params={"owner_id": PERMIT_ID, "limit": 0}, headers=portal)
    assert bad.status_code == 422
    assert api.get("/api/v1/records", params={"owner_id": PERMIT_ID},
                   headers=keys.auth("clerk")).status_code == 403
    assert api.get("/api/v1/records", params={"owner_id": PERMIT_ID}).json()["error"]["code"] == "missing_api_key"


def test_the_spec_still_describes_the_lookup(api):
    operation = api.get("/openapi.json").json()["paths"]["/api/v1/records"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RecordListPublic"}
    assert [p["name"] for p in operation["parameters"]] == [
        "owner_id", "doc_type", "procedure_code", "valid_on", "include_invalid", "document_id", "limit",
        "purpose", "X-Purpose"]
    assert operation["security"]


def test_a_key_revoked_elsewhere_is_refused_once_its_check_is_older_than_the_bound(api, keys, permit,
                                                                                 session_factory, settings):
    checks = api.app.state.services.keys
    assert checks.seconds == settings.key_check_cache_seconds == 5.0  # the default
    now = [1000.0]
    checks.clock = lambda: now[0]
    portal = {**keys.auth("portal"), "X-Purpose": PURPOSE}
    url = f"/api/v1/records?owner_id={PERMIT_ID}"
    assert api.get(url, headers=portal).status_code == 200
    _revoke_portal_key(session_factory)  # as another process, or the CLI, would revoke it
    now[0] += checks.seconds - 0.01
    assert api.get(url, headers=portal).status_code == 200  # within the bound: the check of a moment ago
    now[0] += 0.01
    refused = api.get(url, headers=portal)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "revoked_api_key"
    now[0] += 0.5
    assert api.get(url, headers=portal).json()["error"]["code"] == "revoked_api_key"  # nothing kept of it


def test_no_reuse_when_the_bound_is_zero(api, keys, permit, session_factory):
    checks = api.app.state.services.keys
    checks.seconds = 0
    portal = {**keys.auth("portal"), "X-Purpose": PURPOSE}
    url = f"/api/v1/records?owner_id={PERMIT_ID}"
    assert api.get(url, headers=portal).status_code == 200
    _revoke_portal_key(session_factory)
    assert api.get(url, headers=portal).json()["error"]["code"] == "revoked_api_key"


def _revoke_portal_key(session_factory) -> None:
    """Revoked in the database, not through this process's API (which forgets it at once)."""
    with session_scope(session_factory) as session:
        revoke_key(session, session.scalars(select(ApiKey.id).where(ApiKey.role == "portal")).one())
