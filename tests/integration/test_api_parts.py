"""Parts through the API: the document view, search hits, records with their page range,
the part's files for portals (cut on demand, cached), and an officer's split, merge and move
with history, re-extraction of the parts changed and corrections elsewhere kept."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from PIL import Image, ImageSequence
from pypdf import PdfReader
from sqlalchemy import select, update

from sohoa.core.clock import utcnow
from sohoa.core.db import session_scope
from sohoa.core.models import AuditEvent, Document, Page, Record, StoredFile
from sohoa.domain.records import refresh_from_document
from sohoa.storage.archive import ArchiveStore
from tests import filegen
from tests.integration.test_parts_records import STACK
from tests.records_support import CHILD_ID, HKD_ID, PERMIT_ID
from workers.jobs.indexing import index_document

PURPOSE = "000.00.14.H56-230415-0012"


@dataclass
class Stack:
    doc: str
    parts: list[dict]


def upload_stack(api, keys, session_factory, settings, services, filename: str, data: bytes) -> Stack:
    """An upload whose 5 pages read as a birth extract (2 pages), a household business
    certificate, a building-permit application and the permit; a searchable PDF stored."""
    response = api.post("/api/v1/batches", files=[("files", (filename, data))], headers=keys.auth("clerk"))
    assert response.status_code == 202
    doc = response.json()["documents"][0]["id"]
    pdf = ArchiveStore(settings.archive_root).put_derived(doc, "searchable.pdf", filegen.pdf(pages=5, text="trang"))
    with session_scope(session_factory) as session:
        session.add_all(Page(document_id=doc, number=n, status="done", source="ocr", text=t)
                        for n, t in enumerate(STACK, 1))
        session.add(StoredFile(document_id=doc, kind="searchable_pdf", path=pdf.path, sha256=pdf.sha256,
                               size_bytes=pdf.size_bytes))
        session.flush()
        refresh_from_document(session, doc)
    index_document(services, doc)
    body = api.get(f"/api/v1/documents/{doc}", headers=keys.auth("officer")).json()
    return Stack(doc, body["parts"])


@pytest.fixture
def stack(api, keys, session_factory, settings, services) -> Stack:
    """The 5-page stack uploaded as one PDF."""
    return upload_stack(api, keys, session_factory, settings, services, "ho-so.pdf", filegen.pdf(pages=5, text="trang"))


def portal(keys) -> dict[str, str]:
    return {**keys.auth("portal"), "X-Purpose": PURPOSE}


def pages_of(content: bytes) -> int:
    return len(PdfReader(io.BytesIO(content)).pages)


def test_the_document_view_lists_its_parts(stack: Stack) -> None:
    assert [(p["index"], p["first_page"], p["last_page"], p["kind"], p["doc_type"]) for p in stack.parts] == [
        (0, 1, 2, "result", "trich_luc_khai_sinh"), (1, 3, 3, "result", "gcn_hkd"),
        (2, 4, 4, "component", "don_de_nghi"), (3, 5, 5, "result", "giay_phep_xay_dung")]
    assert stack.parts[0]["reasons"][0] == "first_page" and stack.parts[0]["confidence"] == 1.0
    assert "national_heading" in stack.parts[1]["reasons"] and stack.parts[1]["source"] == "detected"
    assert stack.parts[2]["result_part_id"] == stack.parts[3]["id"]
    assert all(p["record_id"] for p in stack.parts)


def test_search_hits_say_which_part_they_fall_in(api, keys, stack: Stack) -> None:
    hits = api.get("/api/v1/search", params={"q": "Tuấn"}, headers=keys.auth("officer")).json()["hits"]
    assert [(h["page"], h["part"]["index"], h["part"]["first_page"]) for h in hits] == [(3, 1, 3)]
    assert hits[0]["part"]["record_id"] == stack.parts[1]["record_id"]


def test_a_portal_gets_the_owners_result_with_its_pages_and_only_that_parts_files(api, keys, stack, session_factory):
    found = api.get("/api/v1/records", params={"owner_id": CHILD_ID, "valid_on": "2024-01-01"},
                    headers=portal(keys)).json()["records"]
    assert [(r["id"], r["pages"], r["part_id"]) for r in found] == [
        (stack.parts[0]["record_id"], {"first": 1, "last": 2}, stack.parts[0]["id"])]
    links = found[0]["links"]
    part = stack.parts[0]["id"]
    assert links["original"] == f"/api/v1/parts/{part}/original"
    assert links["searchable_pdf"] == f"/api/v1/parts/{part}/searchable.pdf"
    original = api.get(links["original"], headers=portal(keys))
    assert original.status_code == 200 and pages_of(original.content) == 2
    pdf = api.get(links["searchable_pdf"], headers=portal(keys))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf" and pages_of(pdf.content) == 2
    again = api.get(links["original"], headers={**portal(keys), "If-None-Match": original.headers["etag"]})
    assert again.status_code == 304  # cut once, then served from the archive
    with session_scope(session_factory) as session:
        cuts = session.scalars(select(StoredFile.kind).where(StoredFile.document_id == stack.doc,
                                                             StoredFile.kind.like("part_%"))).all()
        assert sorted(cuts) == ["part_original", "part_searchable_pdf"]
        events = session.scalars(select(AuditEvent).where(AuditEvent.action.like("part.%"))).all()
        assert [(e.action, e.target_id, e.owner_id, e.purpose) for e in events] == [
            ("part.download", part, CHILD_ID, PURPOSE), ("part.download_pdf", part, CHILD_ID, PURPOSE)]
    # the whole stack holds other people's papers: a portal gets the part, not the file
    whole = api.get(f"/api/v1/documents/{stack.doc}/original", headers=portal(keys))
    assert whole.status_code == 403 and whole.json()["error"]["code"] == "part_only"
    assert api.get(f"/api/v1/documents/{stack.doc}/original", headers=keys.auth("officer")).status_code == 200
    # a component has no valid record: portals do not reach its files
    component = stack.parts[2]["id"]
    with session_scope(session_factory) as session:
        session.execute(update(Record).where(Record.part_id == component).values(approved=False))
    assert api.get(f"/api/v1/parts/{component}/original", headers=portal(keys)).status_code == 404


def test_an_officer_splits_merges_and_moves_and_corrections_elsewhere_stay(api, keys, stack, session_factory):
    officer = keys.auth("officer")
    birth, hkd = stack.parts[0]["record_id"], stack.parts[1]["record_id"]
    for record, name in ((birth, "Võ Minh Lộc (con)"), (hkd, "Đỗ Thu Tuấn")):
        patched = api.patch(f"/api/v1/records/{record}", json={"fields": {"owner_name": name}}, headers=officer)
        assert patched.status_code == 200
    url = f"/api/v1/documents/{stack.doc}/parts"

    # the form and the permit are one paper document for this office: merge them
    merged = api.post(f"{url}/2/merge", json={"note": "một hồ sơ"}, headers=officer).json()["parts"]
    assert [(p["first_page"], p["last_page"], p["source"]) for p in merged] == [
        (1, 2, "detected"), (3, 3, "detected"), (4, 5, "officer")]
    assert merged[2]["id"] == stack.parts[2]["id"] and merged[2]["reasons"] == ["officer"]
    assert [p["record_id"] for p in merged[:2]] == [birth, hkd]
    # the HKD certificate runs onto page 4: move the next part's start to page 5
    moved = api.post(f"{url}/2/move", json={"first_page": 5}, headers=officer).json()["parts"]
    assert [(p["first_page"], p["last_page"]) for p in moved] == [(1, 2), (3, 4), (5, 5)]
    # the birth extract's second page is a document of its own: split it off
    split = api.post(f"{url}/0/split", json={"at_page": 2}, headers=officer).json()["parts"]
    assert [(p["first_page"], p["last_page"]) for p in split] == [(1, 1), (2, 2), (3, 4), (5, 5)]
    assert split[0]["record_id"] == birth and split[1]["record_id"] not in {p["record_id"] for p in stack.parts}

    body = api.get(url, headers=officer).json()
    assert [h["action"] for h in body["history"]] == ["merge", "move", "split"]
    assert body["history"][0]["before"] == [[1, 2], [3, 3], [4, 4], [5, 5]]
    assert body["history"][0]["note"] == "một hồ sơ"
    removed = body["history"][0]["detail"]["removed_records"]
    assert [(r["part"], r["record_id"]) for r in removed] == [([5, 5], stack.parts[3]["record_id"])]
    # both corrected records kept their ids and the officers' values, whatever was re-extracted
    for record, name, pages in ((birth, "Võ Minh Lộc (con)", {"first": 1, "last": 1}),
                                (hkd, "Đỗ Thu Tuấn", {"first": 3, "last": 4})):
        one = api.get(f"/api/v1/records/{record}", headers=officer).json()
        assert (one["owner_name"], one["fields"]["owner_name"]["source"], one["pages"]) == (name, "officer", pages)
    assert api.get(f"/api/v1/records/{hkd}", headers=officer).json()["owner_id"] == HKD_ID
    # re-processing the file keeps the officer's boundaries
    with session_scope(session_factory) as session:
        refresh_from_document(session, stack.doc)
    again = api.get(url, headers=officer).json()["parts"]
    assert [(p["first_page"], p["last_page"]) for p in again] == [(1, 1), (2, 2), (3, 4), (5, 5)]
    permit = api.get("/api/v1/records", params={"owner_id": PERMIT_ID, "valid_on": "2023-06-01"},
                     headers=officer).json()["records"]
    assert [(r["pages"], r["doc_type"]) for r in permit] == [({"first": 5, "last": 5}, "giay_phep_xay_dung")]


def test_bad_boundary_changes_are_refused_and_change_nothing(api, keys, stack: Stack) -> None:
    officer, url = keys.auth("officer"), f"/api/v1/documents/{stack.doc}/parts"
    for path, body in ((f"{url}/0/split", {"at_page": 1}), (f"{url}/0/split", {"at_page": 3}),
                       (f"{url}/3/merge", {}), (f"{url}/0/move", {"first_page": 2}),
                       (f"{url}/1/move", {"first_page": 5})):
        response = api.post(path, json=body, headers=officer)
        assert response.status_code in (400, 422), (path, body)
        if response.status_code == 400:
            assert response.json()["error"]["code"] == "invalid_boundary"
    assert api.post(f"{url}/9/merge", json={}, headers=officer).status_code == 404
    assert api.post(f"{url}/0/merge", json={}, headers=keys.auth("clerk")).status_code == 403
    assert api.post(f"{url}/0/merge", json={}, headers=portal(keys)).status_code == 403
    body = api.get(url, headers=officer).json()
    assert body["history"] == [] and [p["id"] for p in body["parts"]] == [p["id"] for p in stack.parts]


def test_the_review_queue_points_at_each_parts_pages_and_the_list_shows_the_file_once(api, keys, stack,
                                                                                     session_factory) -> None:
    officer = keys.auth("officer")
    with session_scope(session_factory) as session:  # read, and page 3 (the HKD certificate) poorly
        session.execute(update(Page).where(Page.document_id == stack.doc, Page.number == 3)
                        .values(needs_review=True, confidence=41.0))
        session.execute(update(Document).where(Document.id == stack.doc)
                        .values(status="indexed", processed_at=utcnow()))
    items = api.get("/api/v1/review", headers=officer).json()["items"]
    mine = [i for i in items if i["document_id"] == stack.doc]
    assert [(i["record_id"], i["part_pages"], i["open_page"]) for i in mine] == [
        (p["record_id"], {"first": p["first_page"], "last": p["last_page"]}, p["first_page"]) for p in stack.parts]
    assert [[f["number"] for f in i["pages"]] for i in mine] == [[], [3], [], []]
    assert "low_confidence" in mine[1]["reasons"] and "low_confidence" not in mine[0]["reasons"]
    flagged = api.get("/api/v1/review", params={"reason": "low_confidence"}, headers=officer).json()["items"]
    assert [i["record_id"] for i in flagged if i["document_id"] == stack.doc] == [stack.parts[1]["record_id"]]
    listed = api.get("/api/v1/documents", headers=officer).json()["documents"]
    assert [d["id"] for d in listed].count(stack.doc) == 1


def test_a_tiff_stacks_part_is_its_own_frames_copied_losslessly(api, keys, session_factory, settings, services):
    data = filegen.tiff(pages=5, text="khung")
    tiff = upload_stack(api, keys, session_factory, settings, services, "ho-so.tiff", data)
    birth, hkd = tiff.parts[0], tiff.parts[1]
    for part, frames in ((birth, [1, 2]), (hkd, [3])):
        got = api.get(f"/api/v1/parts/{part['id']}/original", headers=portal(keys))
        assert got.status_code == 200 and got.headers["content-type"] == "image/tiff"
        assert f"-p{frames[0]}-{frames[-1]}.tiff" in got.headers["content-disposition"]
        with Image.open(io.BytesIO(got.content)) as cut, Image.open(io.BytesIO(data)) as whole:
            assert sum(1 for _ in ImageSequence.Iterator(cut)) == len(frames)
            for k, frame in enumerate(frames):
                cut.seek(k)
                whole.seek(frame - 1)
                assert cut.convert("L").tobytes() == whole.convert("L").tobytes()  # the pixels as scanned
    pdf = api.get(f"/api/v1/parts/{hkd['id']}/searchable.pdf", headers=portal(keys))
    assert pdf.status_code == 200 and pages_of(pdf.content) == 1


def _found(api, keys, **params) -> list[dict]:
    body = api.get("/api/v1/search", params={"size": 100, **params}, headers=keys.auth("officer"))
    assert body.status_code == 200
    return body.json()["hits"]


def test_each_parts_pages_are_found_by_its_own_people_and_filtered_by_its_own_type(api, keys, stack) -> None:
    """Indexed from the database as a worker indexes it: each page with its part's record."""
    hkd = api.get(f"/api/v1/records/{stack.parts[1]['record_id']}", headers=keys.auth("officer")).json()
    hits = _found(api, keys, q="do thi thu tuan")  # the household business's representative: the 2nd part
    assert [(h["page"], h["record_id"], h["owner_name"], h["doc_type"], h["doc_number"], h["issue_date"])
            for h in hits] == [(3, hkd["id"], hkd["owner_name"], "gcn_hkd", "40G8298290", "2024-05-10")]
    # the father is named on page 1 only, but his record spans pages 1-2: both, no other part's
    assert [h["page"] for h in _found(api, keys, q="vu xuan son")] == [1, 2]
    for params, pages in (({"doc_type": "gcn_hkd"}, [3]), ({"doc_type": "trich_luc_khai_sinh"}, [1, 2]),
                          ({"owner_id": HKD_ID}, [3]), ({"owner_id": CHILD_ID}, [1, 2]),
                          ({"owner_id": PERMIT_ID}, [4, 5]), ({"issue_year": 2024}, [3])):
        assert sorted(h["page"] for h in _found(api, keys, q="nhan", **params)) == pages, params  # on every page
    facets = api.get("/api/v1/search", params={"q": "nhan", "facets": "true"},
                     headers=keys.auth("officer")).json()["facets"]["doc_type"]
    assert [(b["value"], b["count"]) for b in facets] == [
        ("trich_luc_khai_sinh", 2), ("don_de_nghi", 1), ("gcn_hkd", 1), ("giay_phep_xay_dung", 1)]


def test_a_split_a_corrected_name_and_a_new_type_reindex_the_pages_they_touch(api, keys, stack) -> None:
    officer, url = keys.auth("officer"), f"/api/v1/documents/{stack.doc}/parts"
    assert [h["page"] for h in _found(api, keys, q="vu xuan son")] == [1, 2]
    split = api.post(f"{url}/0/split", json={"at_page": 2}, headers=officer)
    assert split.status_code == 200
    # page 2 is a paper of its own now: the birth extract's people are no longer its names
    assert [h["page"] for h in _found(api, keys, q="vu xuan son")] == [1]
    hkd = stack.parts[1]["record_id"]
    assert _found(api, keys, q="kha thi thu tuan") == []
    patched = api.patch(f"/api/v1/records/{hkd}", json={"fields": {"owner_name": "Kha Thị Thu Tuấn"}},
                        headers=officer)
    assert patched.status_code == 200
    hits = _found(api, keys, q="kha thi thu tuan")  # on no page's text: only the record's names
    assert [(h["page"], h["record_id"], h["owner_name"]) for h in hits] == [(3, hkd, "Kha Thị Thu Tuấn")]
    form = split.json()["parts"][3]
    assert (form["first_page"], form["doc_type"]) == (4, "don_de_nghi")
    retyped = api.patch(f"/api/v1/records/{form['record_id']}", json={"fields": {"doc_type": "to_khai"}},
                        headers=officer)
    assert retyped.status_code == 200
    assert [h["page"] for h in _found(api, keys, q="nhan", doc_type="to_khai")] == [4]
    assert [h["page"] for h in _found(api, keys, q="nhan", doc_type="don_de_nghi")] == []
