"""Records from extracted fields, corrections, lookups and validity on both databases."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from search import SearchFilters, SearchQuery
from search.sqlite_fts import SqliteSearchBackend
from sohoa.core.db import session_scope
from sohoa.core.models import ExtractedFieldRow, Record, RecordCorrection
from sohoa.domain.keys import create_key
from sohoa.domain.principal import Principal
from sohoa.domain.records import apply_changes, lookup_records, refresh_from_document, validity_input
from sohoa.domain.validity import is_valid_on
from tests.records_support import (
    BIRTH,
    CHILD_ID,
    FATHER_ID,
    HKD,
    HKD_ID,
    MOTHER_ID,
    PERMIT,
    PERMIT_ID,
    add_document,
)
from workers.jobs.indexing import build_indexed_document


def test_birth_extract_is_the_childs_record_with_every_person_as_subject(session_factory):
    with session_scope(session_factory) as session:
        doc = add_document(session, [BIRTH], procedure_code="1.001193")
        [record] = refresh_from_document(session, doc)
        assert (record.owner_id, record.owner_id_type, record.owner_name) == (CHILD_ID, "cccd", "Võ Minh Lộc")
        assert (record.doc_type, record.kind, record.doc_number) == ("trich_luc_khai_sinh", "result", "195/2023")
        assert record.issue_date == record.valid_from == date(2023, 3, 14) and record.permanent is True
        assert record.procedure_code == "1.001193" and record.review_state == "extracted"
        day = date(2025, 1, 1)
        assert [r.id for r in lookup_records(session, owner_id=CHILD_ID, valid_on=day)] == [record.id]
        # Parents appear on it but it is not about them: a lookup by their IDs does not return it.
        assert lookup_records(session, owner_id=MOTHER_ID, valid_on=day) == []
        assert lookup_records(session, owner_id=FATHER_ID, valid_on=day) == []
        chosen = session.scalars(select(ExtractedFieldRow).where(
            ExtractedFieldRow.document_id == doc, ExtractedFieldRow.chosen.is_(True))).all()
        cccd = next(r for r in chosen if r.name == "cccd" and r.role == "child")
        assert cccd.value == CHILD_ID and BIRTH[cccd.span_start:cccd.span_end] == CHILD_ID and cccd.page == 1


def test_the_index_gets_every_person_the_record_names(session_factory, settings):
    """Owner and subjects by name, so a search for any of them ranks this record's pages
    first — the father is named on a birth extract without being what it is about."""
    from search.sqlite_fts import SqliteSearchBackend

    with session_scope(session_factory) as session:
        doc = add_document(session, [BIRTH])
        refresh_from_document(session, doc)
        indexed = build_indexed_document(session, doc)
    names = indexed.record_of(1).names  # the one part's record
    assert names[0] == "Võ Minh Lộc" and "Vũ Xuân Sơn" in [n.title() for n in names]
    backend = SqliteSearchBackend(settings.var_dir / "names.sqlite3")
    backend.index_documents([indexed])
    hits = backend.search(SearchQuery(q="vu xuan son")).hits
    assert [h.document_id for h in hits] == [doc] and hits[0].score >= 12  # the names stage


def test_lookup_filters_by_type_procedure_and_day(session_factory):
    with session_scope(session_factory) as session:
        [permit] = refresh_from_document(
            session, add_document(session, [PERMIT], procedure_code="1.009972.000.00.14.H56")
        )
        [hkd] = refresh_from_document(session, add_document(session, [HKD]))
        assert permit.valid_until == date(2024, 3, 12) and permit.permanent is False
        assert hkd.owner_id == HKD_ID and hkd.doc_type == "gcn_hkd"
        ids = lambda **kw: [r.id for r in lookup_records(session, **kw)]  # noqa: E731 - a shorthand for the asserts
        assert ids(owner_id=PERMIT_ID, valid_on=date(2024, 3, 12)) == [permit.id]  # last valid day
        assert ids(owner_id=PERMIT_ID, valid_on=date(2024, 3, 13)) == []  # the day after
        assert ids(owner_id=PERMIT_ID, valid_on=date(2023, 3, 11)) == []  # not yet valid
        assert ids(procedure_code="1.009972", valid_on=date(2023, 6, 1)) == [permit.id]
        assert ids(doc_type="gcn_hkd", valid_on=date(2030, 1, 1)) == [hkd.id]
        assert ids(doc_type="gcn_hkd", owner_id=PERMIT_ID, valid_on=date(2030, 1, 1)) == []


BASE: dict[str, Any] = {
    "approved": True,
    "legal_status": "in_force",
    "valid_from": date(2024, 1, 1),
    "issue_date": date(2024, 1, 1),
    "valid_until": date(2024, 6, 30),
    "permanent": False,
}
CASES: list[tuple[str, dict[str, Any], date, bool]] = [  # (name, overrides, day, expected)
    ("first day", {}, date(2024, 1, 1), True),
    ("day before start", {}, date(2023, 12, 31), False),
    ("last valid day", {}, date(2024, 6, 30), True),
    ("day after", {}, date(2024, 7, 1), False),
    ("permanent", {"permanent": True, "valid_until": None}, date(2099, 1, 1), True),
    ("permanent beats a stale end", {"permanent": True}, date(2030, 1, 1), True),
    ("unknown end", {"permanent": None, "valid_until": None}, date(2024, 2, 1), False),
    ("dated without end", {"permanent": False, "valid_until": None}, date(2024, 2, 1), False),
    ("revoked", {"legal_status": "revoked"}, date(2024, 3, 1), False),
    ("replaced", {"legal_status": "replaced"}, date(2024, 3, 1), False),
    ("cancelled", {"legal_status": "cancelled"}, date(2024, 3, 1), False),
    ("expired by decision", {"legal_status": "expired"}, date(2024, 3, 1), False),
    ("not approved", {"approved": False}, date(2024, 3, 1), False),
    ("start from issue date", {"valid_from": None, "issue_date": date(2024, 2, 1)}, date(2024, 2, 1), True),
    ("before issue date", {"valid_from": None, "issue_date": date(2024, 2, 1)}, date(2024, 1, 31), False),
    ("no start at all", {"valid_from": None, "issue_date": None}, date(2024, 3, 1), False),
]


def test_sql_validity_agrees_with_is_valid_on_and_the_search_facets(session_factory, settings):
    with session_scope(session_factory) as session:
        records = {}
        for name, overrides, _, _ in CASES:
            doc = add_document(session, [f"giấy tờ mẫu {name}"])
            record = Record(document_id=doc, owner_id="001085000111", **{**BASE, **overrides})
            session.add(record)
            records[name] = record
        session.flush()
        backend = SqliteSearchBackend.from_settings(settings)
        backend.index_documents([build_indexed_document(session, r.document_id) for r in records.values()])
        try:
            for name, _, day, expected in CASES:
                record = records[name]
                in_sql = record in lookup_records(session, owner_id="001085000111", valid_on=day)
                hits = backend.search(
                    SearchQuery(q="mẫu", size=100, filters=SearchFilters(valid_on=day, owner_id="001085000111"))
                )
                in_index = record.document_id in {h.document_id for h in hits.hits}
                assert (is_valid_on(validity_input(record), day), in_sql, in_index) == (expected,) * 3, name
        finally:
            backend.close()


def test_reextraction_keeps_officer_values_and_confirmation_protects_all(session_factory):
    with session_scope(session_factory) as session:
        officer = Principal.of_key(create_key(session, role="officer", name="o")[0])
        doc = add_document(session, [PERMIT])
        [record] = refresh_from_document(session, doc)
        rows = apply_changes(
            record, officer, changes={"doc_number": "390/GPXD", "valid_until": date(2024, 9, 1)}, note="đọc sai số"
        )
        session.add_all(rows)
        session.flush()
        [record] = refresh_from_document(session, doc)
        assert record.doc_number == "390/GPXD" and record.valid_until == date(2024, 9, 1)
        assert record.issuing_body == "ỦY BAN NHÂN DÂN HUYỆN BẮC TRÀ MY"  # not corrected: re-extracted
        record.issuing_body = "changed by a bad migration"
        session.add_all(apply_changes(record, officer, changes={}, confirm=True))
        session.flush()
        refresh_from_document(session, doc)
        assert record.issuing_body == "changed by a bad migration" and record.review_state == "confirmed"
        history = session.execute(
            select(RecordCorrection.field, RecordCorrection.old_value, RecordCorrection.new_value)
            .where(RecordCorrection.record_id == record.id)
            .order_by(RecordCorrection.id)
        ).all()
        assert [tuple(h) for h in history] == [
            ("doc_number", "389/GPXD", "390/GPXD"),
            ("valid_until", "2024-03-12", "2024-09-01"),
            ("review_state", "extracted", "confirmed"),
        ]
        candidates = session.scalar(
            select(func.count()).select_from(ExtractedFieldRow).where(ExtractedFieldRow.document_id == doc)
        )
        assert candidates is not None and candidates > 5  # candidates replaced, not piled up
        count = session.scalar(select(func.count()).select_from(ExtractedFieldRow))
        refresh_from_document(session, doc)
        assert session.scalar(select(func.count()).select_from(ExtractedFieldRow)) == count


def test_invalid_corrections_change_nothing(session_factory):
    from sohoa.core.errors import BadRequest

    with session_scope(session_factory) as session:
        officer = Principal.of_key(create_key(session, role="officer", name="o")[0])
        [record] = refresh_from_document(session, add_document(session, [PERMIT]))
        cases: list[tuple[dict[str, Any], str]] = [
            ({"changes": {"owner_id": "12345"}}, "invalid_owner_id"),
            ({"changes": {"sha256": "x"}}, "invalid_field"),
            ({"changes": {}, "legal_status": "replaced"}, "replaced_by_required"),
            ({"changes": {}, "legal_status": "replaced", "replaced_by": record}, "invalid_value"),
            ({"changes": {"doc_number": "1/QĐ", "procedure_code": "abc"}}, "invalid_value"),
        ]
        for kwargs, code in cases:
            with pytest.raises(BadRequest) as info:
                apply_changes(record, officer, **kwargs)
            assert info.value.code == code
        assert record.doc_number == "389/GPXD" and record.legal_status == "in_force"


def test_worker_step_builds_the_record_and_never_fails_the_job(session_factory, caplog):
    from types import SimpleNamespace

    from workers.jobs.document import extract_record

    ctx = SimpleNamespace(sessions=session_factory)
    with session_scope(session_factory) as session:
        doc = add_document(session, [HKD])
    extract_record(ctx, doc)  # type: ignore[arg-type]  # a stand-in JobContext: the step reads only .sessions
    with session_scope(session_factory) as session:
        record = session.scalar(select(Record).where(Record.document_id == doc))
        assert record is not None and record.owner_id == HKD_ID
        assert build_indexed_document(session, doc).record_of(1).owner_ids == [HKD_ID]
    extract_record(ctx, "no-such-document")  # type: ignore[arg-type]  # the same stand-in JobContext
    assert "field extraction failed" in caplog.text
