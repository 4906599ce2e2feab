"""Reuse before review (DOMAIN.md; issue 14, finding 11): a portal is told whether a record
was confirmed, an office chooses whether unconfirmed records are served, and a record whose
ID failed its check is never served unconfirmed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from sohoa.core.config import Settings
from sohoa.core.db import session_scope
from sohoa.core.models import Page
from sohoa.domain.records import refresh_from_document
from tests import filegen
from tests.records_support import HKD, HKD_ID
from workers.jobs.indexing import index_document

PURPOSE = "000.00.14.H56-230415-0012"
# The same household business, its ID misread: the 4th-6th digits say born 1985, the page says 1971.
BAD_ID = HKD_ID[:4] + "85" + HKD_ID[6:]


def _store(api: TestClient, keys, session_factory, services, text: str, name: str) -> tuple[str, str]:
    """A processed upload holding ``text``: (document id, record id)."""
    response = api.post("/api/v1/batches", files=[("files", (name, filegen.png(name)))], headers=keys.auth("clerk"))
    doc = response.json()["documents"][0]["id"]
    with session_scope(session_factory) as session:
        session.add(Page(document_id=doc, number=1, status="done", source="ocr", text=text))
        session.flush()
        record = refresh_from_document(session, doc)[0].id
    index_document(services, doc)
    return doc, record


def _portal_lookup(api: TestClient, keys, owner_id: str) -> list[dict]:
    response = api.get("/api/v1/records", params={"owner_id": owner_id},
                       headers={**keys.auth("portal"), "X-Purpose": PURPOSE})
    assert response.status_code == 200, response.text
    return response.json()["records"]


@pytest.fixture
def good(api, keys, session_factory, services) -> tuple[str, str]:
    return _store(api, keys, session_factory, services, HKD, "hkd.png")


@pytest.fixture
def bad(api, keys, session_factory, services) -> tuple[str, str]:
    return _store(api, keys, session_factory, services, HKD.replace(HKD_ID, BAD_ID), "hkd-bad.png")


def test_an_unconfirmed_record_is_served_and_says_it_is_unconfirmed(api, keys, good):
    [record] = _portal_lookup(api, keys, HKD_ID)
    assert record["id"] == good[1]
    assert record["review_state"] == "extracted"
    assert record["fields"]["owner_id"]["source"] == "extracted"
    assert 0 < record["fields"]["owner_id"]["confidence"] < 1


def test_a_record_whose_id_failed_its_check_is_never_served_unconfirmed(api, keys, bad):
    doc, record_id = bad
    officer = keys.auth("officer")
    seen = api.get("/api/v1/records", params={"owner_id": BAD_ID}, headers=officer).json()["records"]
    assert [r["id"] for r in seen] == [record_id]  # officers see it, with the problem named
    assert seen[0]["fields"]["owner_id"]["problems"]
    portal = {**keys.auth("portal"), "X-Purpose": PURPOSE}
    assert _portal_lookup(api, keys, BAD_ID) == []
    assert api.get(f"/api/v1/records/{record_id}", headers=portal).status_code == 404
    assert api.get(f"/api/v1/documents/{doc}/original", headers=portal).status_code == 404

    confirmed = api.patch(f"/api/v1/records/{record_id}", json={"confirm": True}, headers=officer)
    assert confirmed.status_code == 200, confirmed.text
    assert [r["id"] for r in _portal_lookup(api, keys, BAD_ID)] == [record_id]
    assert api.get(f"/api/v1/records/{record_id}", headers=portal).status_code == 200


@pytest.fixture
def confirmed_only(settings: Settings) -> Iterator[TestClient]:
    """The API of an office that serves portals confirmed records only."""
    strict = settings.model_copy(update={"portal_serves_unconfirmed": False})
    with TestClient(create_app(strict), raise_server_exceptions=False) as client:
        yield client


def test_an_office_may_serve_portals_confirmed_records_only(api, confirmed_only, keys, good):
    doc, record_id = good
    portal = {**keys.auth("portal"), "X-Purpose": PURPOSE}
    assert _portal_lookup(confirmed_only, keys, HKD_ID) == []
    assert confirmed_only.get(f"/api/v1/records/{record_id}", headers=portal).status_code == 404
    assert confirmed_only.get(f"/api/v1/documents/{doc}/original", headers=portal).status_code == 404
    assert [r["id"] for r in _portal_lookup(api, keys, HKD_ID)] == [record_id]  # the default serves it

    officer = keys.auth("officer")
    assert confirmed_only.patch(f"/api/v1/records/{record_id}", json={"confirm": True},
                                headers=officer).status_code == 200
    [record] = _portal_lookup(confirmed_only, keys, HKD_ID)
    assert record["review_state"] == "confirmed"
    assert confirmed_only.get(f"/api/v1/documents/{doc}/original", headers=portal).status_code == 200
