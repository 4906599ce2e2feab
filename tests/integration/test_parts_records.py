"""One file, many documents: parts drawn from the pages, one record per part with its page
range, components linked to their result, per-part lookup, corrections kept across
re-extraction. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update

from sohoa.core.db import session_scope
from sohoa.core.models import ExtractedFieldRow, Page, Part, Record, RecordCorrection
from sohoa.domain.keys import create_key
from sohoa.domain.principal import Principal
from sohoa.domain.records import apply_changes, lookup_records, refresh_from_document, refresh_parts
from tests.records_support import BIRTH, CHILD_ID, HKD, HKD_ID, MOTTO, PERMIT, PERMIT_ID, add_document
from workers.jobs.indexing import build_indexed_document

FORM = (MOTTO + "Bắc Trà My, ngày 01 tháng 03 năm 2023\nĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP XÂY DỰNG\n"
        f"Họ và tên người đề nghị: Đỗ Quang Khánh\nSố định danh cá nhân: {PERMIT_ID}\n")
CONTINUATION = "Nơi đăng ký khai sinh: Ủy ban nhân dân xã Cà Dy\nNGƯỜI KÝ TRÍCH LỤC\nTrang 2/2\n"
STACK = [BIRTH + "Trang 1/2\n", CONTINUATION, HKD, FORM, PERMIT]


def parts_of(session, doc: str) -> list[Part]:
    return list(session.scalars(select(Part).where(Part.document_id == doc).order_by(Part.position)))


def test_a_stack_gives_one_part_and_one_record_per_document(session_factory) -> None:
    with session_scope(session_factory) as session:
        doc = add_document(session, STACK)
        records = refresh_from_document(session, doc)
        parts = parts_of(session, doc)
        assert [(p.first_page, p.last_page, p.kind, p.doc_type) for p in parts] == [
            (1, 2, "result", "trich_luc_khai_sinh"), (3, 3, "result", "gcn_hkd"),
            (4, 4, "component", "don_de_nghi"), (5, 5, "result", "giay_phep_xay_dung")]
        assert [r.part_id for r in records] == [p.id for p in parts]
        assert [r.owner_id for r in records] == [CHILD_ID, HKD_ID, PERMIT_ID, PERMIT_ID]
        assert parts[0].reasons[0] == "first_page" and "national_heading" in parts[1].reasons
        # the form names the permit's holder: it came with the permit, not with what precedes it
        assert parts[2].result_part_id == parts[3].id and parts[0].result_part_id is None
        hkd = records[1]
        evidence = session.scalars(select(ExtractedFieldRow).where(
            ExtractedFieldRow.part_id == hkd.part_id, ExtractedFieldRow.chosen.is_(True))).all()
        assert {r.page for r in evidence} == {3}  # page numbers of the file, not of the part
        day = date(2024, 6, 1)
        assert [r.id for r in lookup_records(session, owner_id=HKD_ID, valid_on=day)] == [hkd.id]
        assert [r.id for r in lookup_records(session, owner_id=CHILD_ID, valid_on=day)] == [records[0].id]
        permit = lookup_records(session, owner_id=PERMIT_ID, valid_on=date(2023, 6, 1))
        assert [r.id for r in permit] == [records[3].id]  # the form is no valid result
        indexed = build_indexed_document(session, doc)  # each part's pages with that part's record
        assert [(p.first_page, p.last_page, p.record_id, p.doc_type) for p in indexed.parts] == [
            (1, 2, records[0].id, "trich_luc_khai_sinh"), (3, 3, hkd.id, "gcn_hkd"),
            (4, 4, records[2].id, "don_de_nghi"), (5, 5, records[3].id, "giay_phep_xay_dung")]
        assert [indexed.record_of(n).owner_ids for n in (1, 3, 5)] == [[CHILD_ID], [HKD_ID], [PERMIT_ID]]
        assert indexed.record_of(2).names == ["Võ Minh Lộc", "Y Lan", "Vũ Xuân Sơn"]  # the continuation page too
        assert (indexed.record_id, indexed.owner_ids, indexed.names) == (None, [], [])  # no record without a part


def test_reprocessing_keeps_part_and_record_ids_and_an_officers_correction(session_factory) -> None:
    with session_scope(session_factory) as session:
        key = Principal.of_key(create_key(session, role="officer", name="o")[0])
        doc = add_document(session, STACK)
        first = refresh_from_document(session, doc)
        parts = [p.id for p in parts_of(session, doc)]
        session.add_all(apply_changes(first[1], key, changes={"owner_name": "Đỗ Thị Thu Tuấn (hộ Tuấn)"}))
        session.flush()
        again = refresh_from_document(session, doc)
        assert [r.id for r in again] == [r.id for r in first]
        assert [p.id for p in parts_of(session, doc)] == parts
        assert again[1].owner_name == "Đỗ Thị Thu Tuấn (hộ Tuấn)"
        # re-extracting only the other parts never touches it either
        others = [p for p in parts_of(session, doc) if p.id != again[1].part_id]
        refresh_parts(session, doc, others)
        kept = session.get(Record, again[1].id)
        assert kept is not None and kept.owner_name == "Đỗ Thị Thu Tuấn (hộ Tuấn)"
        assert session.scalar(select(RecordCorrection.new_value).where(
            RecordCorrection.record_id == again[1].id)) == "Đỗ Thị Thu Tuấn (hộ Tuấn)"


def test_a_separator_sheet_splits_and_belongs_to_no_part(session_factory) -> None:
    continuation = "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.\n"
    with session_scope(session_factory) as session:
        doc = add_document(session, [PERMIT, "", continuation, continuation])
        session.execute(update(Page).where(Page.document_id == doc, Page.number == 2).values(separator=True))
        refresh_from_document(session, doc)
        assert [(p.first_page, p.last_page, p.reasons[0], p.confidence) for p in parts_of(session, doc)] == [
            (1, 1, "first_page", 1.0), (3, 4, "separator_sheet", 0.99)]


def test_a_one_document_file_is_one_part_and_a_file_with_nothing_read_has_none(session_factory) -> None:
    with session_scope(session_factory) as session:
        doc = add_document(session, [PERMIT, "Điều 3. Giao Văn phòng.\n"])
        [record] = refresh_from_document(session, doc)
        [part] = parts_of(session, doc)
        assert (part.first_page, part.last_page, part.position, record.part_id) == (1, 2, 0, part.id)
        empty = add_document(session, [])
        assert refresh_from_document(session, empty) == [] and parts_of(session, empty) == []


def test_a_reread_that_would_drop_a_corrected_part_keeps_the_stored_boundaries(session_factory) -> None:
    with session_scope(session_factory) as session:
        key = Principal.of_key(create_key(session, role="officer", name="o")[0])
        doc = add_document(session, STACK)
        records = refresh_from_document(session, doc)
        session.add_all(apply_changes(records[1], key, changes={"owner_name": "Đỗ Thu Tuấn"}))
        session.flush()
        # page 3 (the HKD certificate) is read again as a plain continuation page: re-detection
        # would fold it into the birth extract and drop the corrected record
        session.execute(update(Page).where(Page.document_id == doc, Page.number == 3)
                        .values(text="Điều 3. Giao Văn phòng thực hiện.\n"))
        again = refresh_from_document(session, doc)
        assert [r.id for r in again] == [r.id for r in records]
        assert [(p.first_page, p.last_page) for p in parts_of(session, doc)] == [(1, 2), (3, 3), (4, 4), (5, 5)]
        assert session.scalar(select(RecordCorrection.new_value).where(
            RecordCorrection.record_id == records[1].id)) == "Đỗ Thu Tuấn"
        # without an officer's work, the same re-read redraws the parts
        plain = add_document(session, STACK)
        refresh_from_document(session, plain)
        session.execute(update(Page).where(Page.document_id == plain, Page.number == 3)
                        .values(text="Điều 3. Giao Văn phòng thực hiện.\n"))
        refresh_from_document(session, plain)
        assert [(p.first_page, p.last_page) for p in parts_of(session, plain)] == [(1, 3), (4, 4), (5, 5)]
