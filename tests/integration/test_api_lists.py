"""The lists a staff screen pages through — batches, documents, the review queue — and
search's facets and deep paging, through the real app on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event, select, update

from search import IndexedDocument, IndexedPage
from sohoa.core.db import session_scope
from sohoa.core.models import AuditEvent, Batch, Document, ExtractedFieldRow, Page, Record
from sohoa.domain.keys import create_key
from tests import filegen

PURPOSE = "000.00.14.H56-230415-0012"


@dataclass
class Office:
    """Three batches on three Vietnam days, by keys of two agencies and an admin."""

    keys: dict[str, str]  # name → plaintext
    key_ids: dict[str, int]
    batches: dict[str, str]  # b1 (2 Mar, agency A), b2 (1 Mar, agency B), b3 (29 Feb, no agency)
    docs: dict[str, str]  # d1, d2 (b1), d3 (b2), d4 (b3); b3 also holds one rejected file

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[name]}"}


def _upload(api, headers, files, **form) -> dict:
    response = api.post("/api/v1/batches", files=[("files", f) for f in files], data=form, headers=headers)
    assert response.status_code == 202, response.text
    return response.json()


@pytest.fixture
def office(api, keys, session_factory) -> Office:
    plain, key_ids = {}, {}
    with session_scope(session_factory) as session:
        for name, role, agency in (("clerk_a", "clerk", "UBND-A"), ("clerk_b", "clerk", "UBND-B"),
                                   ("officer_a", "officer", "UBND-A")):
            row, plain[name] = create_key(session, role=role, name=name, agency=agency)
            key_ids[name] = row.id
    plain["admin"], plain["officer"], plain["clerk"] = keys.admin, keys.officer, keys.clerk
    office = Office(plain, key_ids, {}, {})
    b1 = _upload(api, office.auth("clerk_a"), [("b-giay.png", filegen.png("b1")), ("a-don.png", filegen.png("b2"))],
                 agency_code="UBND-A", procedure_code="KS")
    b2 = _upload(api, office.auth("clerk_b"), [("c.png", filegen.png("c"))], agency_code="UBND-B")
    b3 = _upload(api, office.auth("admin"), [("d.png", filegen.png("d")), ("bad.exe", b"MZ\x90\x00")])
    office.batches = {"b1": b1["batch_id"], "b2": b2["batch_id"], "b3": b3["batch_id"]}
    office.docs = {"d1": b1["documents"][0]["id"], "d2": b1["documents"][1]["id"], "d3": b2["documents"][0]["id"],
                   "d4": b3["documents"][0]["id"]}
    created = {"b1": datetime(2024, 3, 1, 18, 30, tzinfo=UTC), "b2": datetime(2024, 3, 1, 10, 0, tzinfo=UTC),
               "b3": datetime(2024, 2, 28, 17, 1, tzinfo=UTC)}  # Vietnam days: 2 Mar, 1 Mar, 29 Feb
    docs_of = {"b1": ("d1", "d2"), "b2": ("d3",), "b3": ("d4",)}
    d = office.docs
    with session_scope(session_factory) as session:
        for batch, at in created.items():
            session.execute(update(Batch).where(Batch.id == office.batches[batch]).values(created_at=at))
            session.execute(update(Document).where(Document.id.in_([d[x] for x in docs_of[batch]]))
                            .values(created_at=at))
        done = {"status": "indexed", "processed_at": datetime(2024, 3, 3, tzinfo=UTC)}
        session.execute(update(Document).where(Document.id.in_([d["d1"], d["d3"]])).values(**done))
        session.execute(update(Document).where(Document.id == d["d2"]).values(status="processing"))
        session.execute(update(Document).where(Document.id == d["d4"]).values(
            status="failed", error_code="corrupt_file", processed_at=datetime(2024, 3, 3, tzinfo=UTC)))
        session.add_all([Page(document_id=d["d1"], number=1, status="done", confidence=91.0),
                         Page(document_id=d["d1"], number=2, status="done", confidence=41.5, needs_review=True),
                         Page(document_id=d["d3"], number=1, status="done", confidence=55.0, needs_review=True)])
        session.add_all([
            Record(id="r1", document_id=d["d1"], doc_type="giay_khai_sinh", owner_name="Nguyễn Văn An",
                   owner_id="001085000111", doc_number="12/QĐ-UBND", issue_date=date(2023, 5, 1)),
            Record(id="r3", document_id=d["d3"], doc_type="trich_luc_ket_hon", owner_name="Lê Thị Bình",
                   issue_date=date(2021, 1, 1), review_state="confirmed"),
            ExtractedFieldRow(document_id=d["d1"], name="doc_type", value="giay_khai_sinh", confidence=0.9,
                              page=1, span_start=0, span_end=5, chosen=True),
        ])
    return office


def listed(api, office: Office, who: str, url: str, **params) -> dict:
    response = api.get(url, params=params, headers={**office.auth(who), "X-Purpose": PURPOSE})
    assert response.status_code == 200, response.text
    return response.json()


# -- batches ---------------------------------------------------------------------------------

def test_batches_newest_first_with_files_counted_by_state(api, office):
    body = listed(api, office, "admin", "/api/v1/batches")
    b = office.batches
    assert body["total"] == 3 and [x["id"] for x in body["batches"]] == [b["b1"], b["b2"], b["b3"]]
    first, _, third = body["batches"]
    assert first["counts"] == {"queued": 0, "processing": 1, "indexed": 1, "failed": 0}
    assert (first["status"], first["total"], first["pages_needing_review"]) == ("processing", 2, 1)
    assert (first["agency_code"], first["procedure_code"], first["created_by_name"]) == ("UBND-A", "KS", "clerk_a")
    assert first["created_by_key_id"] == office.key_ids["clerk_a"]
    assert third["counts"]["failed"] == 2 and third["status"] == "done"  # a rejected file counts as failed
    page2 = listed(api, office, "admin", "/api/v1/batches", size=2, page=2)
    assert (page2["total"], [x["id"] for x in page2["batches"]]) == (3, [b["b3"]])


@pytest.mark.parametrize(("params", "expected"), [
    ({"created_from": "2024-03-02"}, ["b1"]),
    ({"created_to": "2024-03-01"}, ["b2", "b3"]),
    ({"created_from": "2024-02-29", "created_to": "2024-02-29"}, ["b3"]),
    ({"agency_code": "UBND-B"}, ["b2"]),
    ({"status": "processing"}, ["b1"]),
    ({"status": "done"}, ["b2", "b3"]),
])
def test_batch_filters(api, office, params, expected):
    body = listed(api, office, "admin", "/api/v1/batches", **params)
    assert [x["id"] for x in body["batches"]] == [office.batches[n] for n in expected]
    mine = listed(api, office, "admin", "/api/v1/batches", created_by_key_id=office.key_ids["clerk_b"])
    assert [x["id"] for x in mine["batches"]] == [office.batches["b2"]]


def test_a_key_with_an_agency_sees_only_that_agencys_batches(api, office):
    b = office.batches
    assert [x["id"] for x in listed(api, office, "clerk_a", "/api/v1/batches")["batches"]] == [b["b1"]]
    assert [x["id"] for x in listed(api, office, "clerk_b", "/api/v1/batches")["batches"]] == [b["b2"]]
    assert listed(api, office, "clerk", "/api/v1/batches")["total"] == 3  # no agency: every batch
    assert listed(api, office, "clerk_a", "/api/v1/batches", agency_code="UBND-B")["total"] == 0
    other = api.get(f"/api/v1/batches/{b['b2']}", headers=office.auth("clerk_a"))
    assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"
    assert api.get(f"/api/v1/batches/{b['b2']}", headers=office.auth("clerk_b")).status_code == 200
    assert api.get(f"/api/v1/batches/{b['b3']}", headers=office.auth("clerk")).status_code == 200


def test_bad_list_parameters_are_errors_in_the_one_shape(api, office):
    for url, code, status in (("/api/v1/batches?created_from=2024-03-02&created_to=2024-03-01",
                               "invalid_date_range", 400),
                              ("/api/v1/batches?page=100000&size=100", "invalid_paging", 400),
                              ("/api/v1/batches?size=101", "validation_error", 422),
                              ("/api/v1/batches?status=lost", "validation_error", 422)):
        response = api.get(url, headers=office.auth("admin"))
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), url


# -- documents -------------------------------------------------------------------------------

def test_documents_with_their_records_display_fields(api, office, session_factory):
    d = office.docs
    body = listed(api, office, "officer", "/api/v1/documents")
    order = [x["id"] for x in body["documents"]]  # newest upload first (d1 and d2 came together)
    assert body["total"] == 4 and set(order[:2]) == {d["d1"], d["d2"]} and order[2:] == [d["d3"], d["d4"]]
    by_id = {x["id"]: x for x in body["documents"]}
    one = by_id[d["d1"]]
    assert (one["filename"], one["owner_name"], one["doc_type"], one["doc_number"], one["issue_date"]) == (
        "b-giay.png", "Nguyễn Văn An", "giay_khai_sinh", "12/QĐ-UBND", "2023-05-01")
    assert (one["pages_needing_review"], one["record_id"], one["review_state"], one["batch_id"]) == (
        1, "r1", "extracted", office.batches["b1"])
    assert one["links"]["thumbnail"] == f"/api/v1/documents/{d['d1']}/pages/1/image?size=thumb"
    assert by_id[d["d4"]]["error"]["code"] == "corrupt_file" and by_id[d["d4"]]["record_id"] is None
    with session_factory() as session:
        event_row = session.scalars(select(AuditEvent).where(AuditEvent.action == "document.list")).one()
    assert event_row.result_count == 4 and set(event_row.detail["document_ids"]) == set(d.values())


@pytest.mark.parametrize(("params", "expected"), [
    ({"batch_id": "b1"}, {"d1", "d2"}),
    ({"agency_code": "UBND-B"}, {"d3"}),
    ({"procedure_code": "KS"}, {"d1", "d2"}),
    ({"doc_type": "giay_khai_sinh"}, {"d1"}),
    ({"status": "failed"}, {"d4"}),
    ({"needs_review": "true"}, {"d1", "d3"}),
    ({"needs_review": "false"}, {"d2", "d4"}),
    ({"uploaded_from": "2024-03-01", "uploaded_to": "2024-03-01"}, {"d3"}),
    ({"uploaded_to": "2024-02-29"}, {"d4"}),
])
def test_document_filters(api, office, params, expected):
    if "batch_id" in params:
        params = {**params, "batch_id": office.batches[params["batch_id"]]}
    body = listed(api, office, "officer", "/api/v1/documents", **params)
    assert {x["id"] for x in body["documents"]} == {office.docs[n] for n in expected}
    assert body["total"] == len(expected)


def test_document_sorts_and_paging(api, office):
    d = office.docs

    def order(**params) -> list[str]:
        body = listed(api, office, "officer", "/api/v1/documents", **params)
        names = {v: k for k, v in d.items()}
        return [names[x["id"]] for x in body["documents"]]

    assert order(sort="uploaded_at", order="asc")[:2] == ["d4", "d3"]
    assert order(sort="filename", order="asc") == ["d2", "d1", "d3", "d4"]  # a-don, b-giay, c, d
    assert order(sort="issue_date", order="desc")[:2] == ["d1", "d3"]  # undated last
    assert order(sort="issue_date", order="asc")[:2] == ["d3", "d1"]  # undated last either way
    pages = [order(sort="filename", order="asc", size=3, page=n) for n in (1, 2)]
    assert pages == [["d2", "d1", "d3"], ["d4"]]


def test_an_officer_with_an_agency_lists_that_agencys_documents(api, office):
    body = listed(api, office, "officer_a", "/api/v1/documents")
    assert {x["id"] for x in body["documents"]} == {office.docs["d1"], office.docs["d2"]}


def test_the_document_list_loads_a_fixed_number_of_queries(api, office, session_factory):
    """No query per row: a page of 1 and a page of 4 cost the same number of statements."""
    statements: list[str] = []
    engine = api.app.state.services.engine

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    listed(api, office, "officer", "/api/v1/documents", size=1)  # the key's first use is written once
    event.listen(engine, "before_cursor_execute", count)
    try:
        listed(api, office, "officer", "/api/v1/documents", size=1)
        one = len(statements)
        statements.clear()
        listed(api, office, "officer", "/api/v1/documents", size=4)
        assert len(statements) == one
    finally:
        event.remove(engine, "before_cursor_execute", count)


# -- review queue ----------------------------------------------------------------------------

def test_the_review_queue_lists_unconfirmed_records_and_flagged_pages_oldest_first(api, office, session_factory):
    d = office.docs
    with session_scope(session_factory) as session:  # d2 read, flagged, but without a record
        session.execute(update(Document).where(Document.id == d["d2"]).values(
            status="indexed", processed_at=datetime(2024, 3, 3, tzinfo=UTC),
            created_at=datetime(2024, 3, 1, 19, 0, tzinfo=UTC)))  # after d1
        session.add(Page(document_id=d["d2"], number=3, status="done", confidence=30.0, needs_review=True))
    body = listed(api, office, "officer", "/api/v1/review")
    assert [x["document_id"] for x in body["items"]] == [d["d1"], d["d2"]]  # d3 confirmed, d4 failed
    first, second = body["items"]
    assert first["reasons"] == ["low_confidence", "unconfirmed"] and first["record_id"] == "r1"
    assert first["pages"] == [{"number": 2, "confidence": 41.5}] and first["open_page"] == 2
    assert first["fields"]["doc_type"]["value"] == "giay_khai_sinh"
    assert first["fields"]["doc_type"]["confidence"] == 0.9 and first["fields"]["doc_type"]["page"] == 1
    assert first["fields"]["owner_id"]["value"] == "001085000111"
    assert first["links"] == {"document": f"/api/v1/documents/{d['d1']}",
                              "image": f"/api/v1/documents/{d['d1']}/pages/2/image", "record": "/api/v1/records/r1"}
    assert (second["reasons"], second["record_id"], second["open_page"]) == (["low_confidence"], None, 3)
    only = listed(api, office, "officer", "/api/v1/review", reason="unconfirmed")
    assert [x["document_id"] for x in only["items"]] == [d["d1"]]
    assert listed(api, office, "officer", "/api/v1/review", agency_code="UBND-B")["total"] == 0
    in_batch = listed(api, office, "officer", "/api/v1/review", batch_id=office.batches["b1"])
    assert in_batch["total"] == 2
    confirm = api.patch("/api/v1/records/r1", json={"confirm": True}, headers=office.auth("officer"))
    assert confirm.status_code == 200, confirm.text
    after = listed(api, office, "officer", "/api/v1/review")
    assert [x["document_id"] for x in after["items"]] == [d["d2"]]  # confirmed: out, flagged pages too
    with session_factory() as session:
        actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.action == "review.list")))
    assert len(actions) == 5


# -- search: facets and deep paging ------------------------------------------------------------

def test_search_facets_and_search_after_through_the_api(api, keys, services):
    services.search.index_documents([
        IndexedDocument(f"d-{i:02d}", [IndexedPage(1, f"Đơn đăng ký số {i}", needs_review=i % 2 == 0)],
                        doc_type="don" if i < 7 else "to_khai", issue_date=date(2020 + i % 3, 1, 1))
        for i in range(10)])
    officer = keys.auth("officer")
    body = api.get("/api/v1/search", params={"q": "don dang ky", "size": 3, "facets": "true"}, headers=officer).json()
    assert body["total"] == 10
    assert body["facets"]["doc_type"] == [{"value": "don", "count": 7}, {"value": "to_khai", "count": 3}]
    assert body["facets"]["needs_review"] == [{"value": "false", "count": 5}, {"value": "true", "count": 5}]
    assert [b["value"] for b in body["facets"]["issue_year"]] == ["2020", "2021", "2022"]
    assert api.get("/api/v1/search", params={"q": "don"}, headers=officer).json()["facets"] is None
    full = [h["document_id"] for h in api.get("/api/v1/search", params={"q": "don dang ky", "size": 100},
                                              headers=officer).json()["hits"]]
    walked, cursor = [], None
    for _ in range(5):
        params = {"q": "don dang ky", "size": 3, **({"search_after": cursor} if cursor else {})}
        page = api.get("/api/v1/search", params=params, headers=officer).json()
        walked += [h["document_id"] for h in page["hits"]]
        cursor = page["next_search_after"]
        if cursor is None:
            break
    assert walked == full and len(walked) == 10
    narrowed = api.get("/api/v1/search", params={"q": "don", "issue_year": 2021, "needs_review": "true"},
                       headers=officer).json()
    assert {h["document_id"] for h in narrowed["hits"]} == {"d-04"}


@pytest.mark.parametrize("garbage", ["x", "!!!", "W10", "WzEsMiwzXQ", "eyJhIjoxfQ", "A" * 600])
def test_a_garbage_search_after_is_a_400(api, keys, garbage):
    response = api.get("/api/v1/search", params={"q": "an", "search_after": garbage}, headers=keys.auth("officer"))
    assert response.status_code in (400, 422), response.text
    assert response.json()["error"]["code"] in ("invalid_cursor", "validation_error")
    if len(garbage) < 512:
        assert response.json()["error"]["code"] == "invalid_cursor"


def test_page_and_search_after_together_are_refused(api, keys, services):
    services.search.index_documents([IndexedDocument("d-1", [IndexedPage(1, "an")])])
    hit = api.get("/api/v1/search", params={"q": "an"}, headers=keys.auth("officer")).json()["hits"][0]
    response = api.get("/api/v1/search", params={"q": "an", "page": 2, "search_after": hit["search_after"]},
                       headers=keys.auth("officer"))
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_cursor"
