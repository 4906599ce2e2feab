"""A file holding several paper documents (parts): each page is found, filtered, faceted and
described by the record of its own part; a page in no part by the file's own record."""

from __future__ import annotations

from datetime import date

from search.base import IndexedDocument, IndexedPage, IndexedPart, SearchBackend, SearchFilters, SearchQuery
from sohoa.core.vocab import SearchSort
from tests.integration.conformance.corpus import doc, facets, filler_docs, ids

MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
MARRIAGE = MOTTO + "TRÍCH LỤC KẾT HÔN\nSố: 07/2021\nHọ, chữ đệm, tên chồng: TRẦN VĂN BÌNH\n"
MARRIAGE_2 = "Họ, chữ đệm, tên vợ: LÊ THỊ HẠNH\nNơi đăng ký kết hôn: Ủy ban nhân dân xã Cà Dy\nTrang 2/2\n"
# The form's layout splits the name (family and middle names, then the given name): the words
# do not stand together on the page, only in the record.
BIRTH = MOTTO + "TRÍCH LỤC KHAI SINH\nSố: 195/2024\nHọ, chữ đệm: HỒ THỊ\nTên: PHÚC\nGiới tính: Nữ\n"
HUSBAND_ID, CHILD_ID = "049085000111", "049324000222"


def stack(birth_part: bool = True) -> IndexedDocument:
    """A scanned stack: a marriage extract of Trần Văn Bình and Lê Thị Hạnh (pages 1-2), then
    the birth extract of Hồ Thị Phúc (page 3); ``birth_part=False``: the detector saw one
    document (pages 1-3, the marriage's record)."""
    marriage = IndexedPart(first_page=1, last_page=2 if birth_part else 3, record_id="r-marriage",
                           owner_name="Trần Văn Bình", doc_number="07/2021", doc_type="trich_luc_ket_hon",
                           issue_date=date(2021, 9, 3), owner_ids=[HUSBAND_ID], valid_from=date(2021, 9, 3),
                           permanent=True, names=["Trần Văn Bình", "Lê Thị Hạnh"])
    birth = IndexedPart(first_page=3, last_page=3, record_id="r-birth", owner_name="Hồ Thị Phúc",
                        doc_number="195/2024", doc_type="trich_luc_khai_sinh", issue_date=date(2024, 5, 6),
                        owner_ids=[CHILD_ID], names=["Hồ Thị Phúc", "Kiều Quốc Khải"], permanent=False)
    return doc("s-stack", MARRIAGE, MARRIAGE_2, BIRTH, parts=[marriage, birth] if birth_part else [marriage])


def distractors() -> list[IndexedDocument]:
    """The name together in running text (twice: more than the stack's page has it), and its
    syllables scattered over an office page (the motto's "hạnh phúc", "hộ", "thị trấn")."""
    return [doc("a-text", "Biên bản: bà Hồ Thị Phúc trình bày; bà Hồ Thị Phúc ký tên"),
            doc("b-scattered", MOTTO + "Hộ gia đình ông Hồ Văn Tư, thị trấn Phúc Thọ; hạnh phúc gia đình"),
            *filler_docs()]


class PartsConformance:
    def test_a_person_named_in_a_later_part_ranks_that_parts_page_first(self, backend: SearchBackend) -> None:
        backend.index_documents([stack(), *distractors()])
        for typed in ("ho thi phuc", "HO THI PHUC", "Hồ Thị Phúc"):
            result = backend.search(SearchQuery(q=typed, size=100))
            # page 1 holds the words too, scattered: "Họ", the wife's "Thị" in its record, the motto's "phúc"
            assert [(h.document_id, h.page) for h in result.hits] == [
                ("s-stack", 3), ("a-text", 1), ("b-scattered", 1), ("s-stack", 1)], typed
        # the birth record names the father too: only its own page is his, not the marriage's
        assert [(h.document_id, h.page) for h in backend.search(SearchQuery(q="kieu quoc khai")).hits] == [
            ("s-stack", 3)]
        assert [(h.document_id, h.page) for h in backend.search(SearchQuery(q="le thi hanh")).hits] == [
            ("s-stack", 2), ("s-stack", 1)]  # the wife's name on page 2, and her record on page 1

    def test_a_hit_says_who_and_what_its_own_part_is(self, backend: SearchBackend) -> None:
        backend.index_documents([stack(), *distractors()])
        birth = backend.search(SearchQuery(q="ho thi phuc")).hits[0]
        assert (birth.page, birth.record_id, birth.owner_name, birth.doc_type, birth.doc_number, birth.issue_date) == (
            3, "r-birth", "Hồ Thị Phúc", "trich_luc_khai_sinh", "195/2024", date(2024, 5, 6))
        marriage = backend.search(SearchQuery(q="tran van binh")).hits
        assert [(h.page, h.record_id, h.owner_name, h.doc_type, h.doc_number, h.issue_date) for h in marriage] == [
            (1, "r-marriage", "Trần Văn Bình", "trich_luc_ket_hon", "07/2021", date(2021, 9, 3)),
            (2, "r-marriage", "Trần Văn Bình", "trich_luc_ket_hon", "07/2021", date(2021, 9, 3))]
        listed = backend.search(SearchQuery(q="", filters=SearchFilters(doc_type="trich_luc_khai_sinh"))).hits
        assert [(h.page, h.record_id, h.owner_name) for h in listed] == [(3, "r-birth", "Hồ Thị Phúc")]
        other = backend.search(SearchQuery(q="ho thi phuc", size=100)).hits[1]
        assert (other.document_id, other.record_id, other.owner_name, other.doc_type) == ("a-text", None, None, None)

    def test_filters_and_facets_follow_each_pages_part(self, backend: SearchBackend) -> None:
        backend.index_documents([stack(), *distractors()])
        pages = {"birth": [("s-stack", 3)], "marriage": [("s-stack", 1), ("s-stack", 2)], "none": []}
        for filters, expected in (
                (SearchFilters(doc_type="trich_luc_khai_sinh"), pages["birth"]),
                (SearchFilters(doc_type="trich_luc_ket_hon"), pages["marriage"]),
                (SearchFilters(owner_id=CHILD_ID), pages["birth"]),
                (SearchFilters(owner_id=HUSBAND_ID), pages["marriage"]),
                (SearchFilters(issue_year=2024), pages["birth"]),
                (SearchFilters(issued_from=date(2024, 1, 1)), pages["birth"]),
                (SearchFilters(issued_to=date(2021, 12, 31)), pages["marriage"]),
                (SearchFilters(valid_on=date(2025, 1, 1)), pages["marriage"]),  # the birth record cannot hold
                (SearchFilters(doc_type="trich_luc_khai_sinh", owner_id=HUSBAND_ID), pages["none"])):
            listed = backend.search(SearchQuery(q="", filters=filters, size=100)).hits
            assert sorted((h.document_id, h.page) for h in listed) == expected, filters
            assert backend.count(filters) == len(expected)
            found = backend.search(SearchQuery(q="trich luc", filters=filters, size=100)).hits  # not on page 2
            assert sorted((h.document_id, h.page) for h in found) == [p for p in expected if p[1] != 2], filters
        assert facets(backend, "trich luc")["doc_type"] == [("trich_luc_ket_hon", 1), ("trich_luc_khai_sinh", 1)]
        assert facets(backend, "")["issue_year"] == [("2021", 2), ("2024", 1)]
        assert facets(backend, "kieu quoc khai")["doc_type"] == [("trich_luc_khai_sinh", 1)]

    def test_the_issue_date_order_takes_each_pages_part(self, backend: SearchBackend) -> None:
        backend.index_documents([stack(), doc("d-2023", "Trích lục của bà Lê Thị Hạnh", issue_date=date(2023, 2, 1))])
        order = backend.search(SearchQuery(q="trich luc", sort=SearchSort.ISSUE_DATE, size=10)).hits
        assert [(h.document_id, h.page) for h in order] == [("s-stack", 3), ("d-2023", 1), ("s-stack", 1)]
        listing = backend.search(SearchQuery(q="", sort=SearchSort.ISSUE_DATE, size=10)).hits
        assert [(h.document_id, h.page) for h in listing] == [("s-stack", 3), ("d-2023", 1), ("s-stack", 1),
                                                                ("s-stack", 2)]

    def test_a_page_in_no_part_has_the_files_own_record(self, backend: SearchBackend) -> None:
        backend.index_documents([IndexedDocument(
            "d-file", [IndexedPage(1, "Bìa hồ sơ"), IndexedPage(2, BIRTH), IndexedPage(3, "Phụ lục của hồ sơ")],
            record_id="r-file", owner_name="Ngô Văn Tệp", doc_type="cccd", names=["Ngô Văn Tệp"],
            owner_ids=[HUSBAND_ID],
            parts=[IndexedPart(first_page=2, last_page=2, record_id="r-birth", owner_name="Hồ Thị Phúc",
                               doc_type="trich_luc_khai_sinh", names=["Hồ Thị Phúc"], owner_ids=[CHILD_ID])])])
        assert [(h.page, h.record_id) for h in backend.search(SearchQuery(q="ngo van tep")).hits] == [
            (1, "r-file"), (3, "r-file")]
        assert [(h.page, h.record_id) for h in backend.search(SearchQuery(q="ho thi phuc")).hits] == [(2, "r-birth")]
        for filters, pages in ((SearchFilters(doc_type="cccd"), [1, 3]), (SearchFilters(owner_id=HUSBAND_ID), [1, 3]),
                               (SearchFilters(owner_id=CHILD_ID), [2])):
            for q in ("", "ho"):  # "hồ sơ", "Họ": on every page
                assert sorted(h.page for h in backend.search(SearchQuery(q=q, filters=filters)).hits) == pages, q

    def test_reindexing_with_new_boundaries_moves_names_and_facets(self, backend: SearchBackend) -> None:
        backend.index_documents([stack(birth_part=False), *distractors()])  # the birth page read as the marriage's
        assert backend.count(SearchFilters(doc_type="trich_luc_ket_hon")) == 3
        assert [(h.document_id, h.page) for h in backend.search(SearchQuery(q="ho thi phuc")).hits][:2] == [
            ("a-text", 1), ("s-stack", 3)]  # split on the page, in no record of the file: below the phrase
        assert ids(backend, "kieu quoc khai") == []
        assert [h.page for h in backend.search(SearchQuery(q="le thi hanh")).hits] == [2, 3, 1]
        backend.index_documents([stack()])  # an officer split it: the page has the birth's record now
        assert [(h.document_id, h.page) for h in backend.search(SearchQuery(q="ho thi phuc")).hits][:2] == [
            ("s-stack", 3), ("a-text", 1)]
        assert [h.page for h in backend.search(SearchQuery(q="le thi hanh")).hits] == [2, 1]
        assert backend.count(SearchFilters(doc_type="trich_luc_ket_hon")) == 2
        assert backend.count(SearchFilters(owner_id=CHILD_ID)) == 1
        assert [(h.document_id, h.page) for h in backend.search(SearchQuery(q="kieu quoc khai")).hits] == [
            ("s-stack", 3)]
        backend.rebuild([stack(birth_part=False)])
        assert backend.count(SearchFilters(owner_id=CHILD_ID)) == 0
        assert [h.page for h in backend.search(SearchQuery(q="kieu quoc khai")).hits] == []
