"""Query semantics every ``SearchBackend`` must share, run against each backend.

Subclass ``SearchBackendConformance`` in a ``test_*.py`` module and provide a ``backend``
fixture: a fresh, empty, isolated backend per test (OpenSearch: its own uuid-named
index). After ``index_documents``, ``delete_document`` or ``rebuild`` returns, the change
must be visible to ``search`` and ``count`` (backends refresh before returning).

Pinned semantics (see ``search/query.py``): all terms required; quoted text and
punctuation-joined chunks (``123/QĐ-UBND``) are phrases; matching is on the folded form
(no diacritics, đ→d) with exact diacritics ranked higher; user syntax never acts as
syntax; ties sort by ``document_id`` then page; ``valid_on`` keeps documents with
``(valid_from is None or valid_from <= d) and (permanent or d <= valid_until)``.
Ranking (issue 13, docs/search.md): a name of the page's record holding the words, then the
words together in order, then all in the record's names, then two of them side by side,
then scattered; words only in boilerplate last; exact diacritics and a whole name first.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime
from typing import Any

import pytest

from search.base import FACET_SIZE, TOTAL_CAP, IndexedDocument, IndexedPage, SearchBackend, SearchFilters, SearchQuery
from sohoa.core.errors import InvalidQuery
from sohoa.core.vocab import SearchSort

FILLER = [
    "Ủy ban nhân dân phường Bến Nghé cấp giấy xác nhận tình trạng hôn nhân",
    "Sở Tư pháp thành phố chứng thực bản sao từ bản chính",
    "Phiếu tiếp nhận hồ sơ và hẹn trả kết quả thủ tục đăng ký khai sinh",
    "Tờ khai đăng ký thường trú tại công an quận",
    "Biên nhận lệ phí trước bạ nhà đất năm hai nghìn",
    "Đơn đề nghị cấp phép xây dựng nhà ở riêng lẻ",
]


def doc(document_id: str, *texts: str, **meta: Any) -> IndexedDocument:
    pages = [IndexedPage(number=i, text=t) for i, t in enumerate(texts, start=1)]
    return IndexedDocument(document_id=document_id, pages=pages, **meta)


def flagged_doc(document_id: str, *texts: str, flagged: tuple[int, ...] = (), **meta: Any) -> IndexedDocument:
    """A document whose pages ``flagged`` are below the OCR confidence threshold."""
    pages = [IndexedPage(number=i, text=t, needs_review=i in flagged) for i, t in enumerate(texts, start=1)]
    return IndexedDocument(document_id=document_id, pages=pages, **meta)


def facets(backend: SearchBackend, q: str, **kw: Any) -> dict[str, list[tuple[str, int]]]:
    result = backend.search(SearchQuery(q=q, facets=True, **kw))
    assert result.facets is not None
    return {name: [(b.value, b.count) for b in buckets] for name, buckets in result.facets.items()}


def ids(backend: SearchBackend, q: str, **kw: Any) -> list[str]:
    """Document ids of the hits, best first, from one large page."""
    result = backend.search(SearchQuery(q=q, size=100, **kw))
    return [h.document_id for h in result.hits]


def filler_docs() -> list[IndexedDocument]:
    """Unrelated pages so term statistics look like a real corpus (bm25 needs some)."""
    return [doc(f"filler-{i}", text) for i, text in enumerate(FILLER)]


class SearchBackendConformance:
    # -- Vietnamese matching --------------------------------------------------------

    def test_name_typed_without_diacritics_finds_page(self, backend: SearchBackend) -> None:
        backend.index_documents([doc("d-ha", "Họ và tên: Nguyễn Thị Thu Hà, sinh năm 1985"), *filler_docs()])
        assert ids(backend, "nguyen thi thu ha") == ["d-ha"]
        assert ids(backend, "NGUYEN THI THU HA") == ["d-ha"]
        assert ids(backend, "Nguyễn Thị Thu Hà") == ["d-ha"]

    def test_exact_diacritics_rank_above_folded_only(self, backend: SearchBackend) -> None:
        # Ids chosen so the document_id tie-break alone would give the wrong order.
        backend.index_documents([
            doc("a-ma", "ông ma văn lâm trình bày"),
            doc("z-ma-sac", "ông má văn lâm trình bày"),
            *filler_docs(),
        ])
        assert ids(backend, "má") == ["z-ma-sac", "a-ma"]
        assert ids(backend, "ma")[0] == "a-ma"
        assert set(ids(backend, "ma")) == {"a-ma", "z-ma-sac"}

    def test_exact_spelling_of_a_whole_name_ranks_above_partly_and_fully_folded(self, backend: SearchBackend) -> None:
        # đ and tone marks together; ids chosen so the document_id tie-break alone would
        # give the wrong order. Every page matches the folded name "dang van duc".
        backend.index_documents([
            doc("a-plain", "Người nộp hồ sơ: Dang Van Duc, xã Yên Phú"),  # typed without marks
            doc("m-partial", "Người nộp hồ sơ: Đặng Văn Dực, xã Yên Phú"),  # last syllable differs
            doc("z-exact", "Người nộp hồ sơ: Đặng Văn Đức, xã Yên Phú"),
            *filler_docs(),
        ])
        assert ids(backend, "Đặng Văn Đức") == ["z-exact", "m-partial", "a-plain"]
        # quoted, the name is one unit: only the whole exact phrase earns the boost
        assert ids(backend, '"Đặng Văn Đức"') == ["z-exact", "a-plain", "m-partial"]
        assert ids(backend, "Đức") == ["z-exact", "a-plain", "m-partial"]
        assert ids(backend, "dang van duc")[0] == "a-plain"
        assert ids(backend, "DANG VAN DUC")[0] == "a-plain"

    @pytest.mark.parametrize(("indexed", "typed"), [("Hoà Bình", "hòa bình"), ("Hòa Bình", "hoà bình"),
                                                    ("Thuý Kiều", "thúy kiều"), ("khoẻ", "khỏe")])
    def test_old_and_new_tone_placement_are_equivalent(
        self, backend: SearchBackend, indexed: str, typed: str
    ) -> None:
        backend.index_documents([doc("d-tone", f"Nơi cư trú: {indexed}"), *filler_docs()])
        assert ids(backend, typed) == ["d-tone"]

    def test_decomposed_unicode_text_and_query(self, backend: SearchBackend) -> None:
        nfd = unicodedata.normalize("NFD", "Người yêu cầu: Trần Thị Ngọc Ánh")
        backend.index_documents([doc("d-nfd", nfd), doc("d-nfc", "Trần Ngọc"), *filler_docs()])
        assert ids(backend, "ngoc anh") == ["d-nfd"]
        assert ids(backend, unicodedata.normalize("NFD", "Ngọc Ánh")) == ["d-nfd"]
        hit = backend.search(SearchQuery(q="anh")).hits[0]
        assert "<mark>Ánh</mark>" in hit.snippet  # shown in NFC

    def test_d_with_stroke_folds_to_d(self, backend: SearchBackend) -> None:
        backend.index_documents([doc("d-dang", "Đặng Văn Đức, Đồng Nai"), *filler_docs()])
        assert ids(backend, "dang van duc") == ["d-dang"]
        assert ids(backend, "đồng nai") == ["d-dang"]
        assert ids(backend, "DONG NAI") == ["d-dang"]

    def test_quoted_phrase_requires_adjacent_words_in_order(self, backend: SearchBackend) -> None:
        backend.index_documents([
            doc("d-phrase", "Người nộp: Nguyễn Văn An, phường 3"),
            doc("d-scattered", "An ninh phường; Văn phòng; Nguyễn Trãi"),
            *filler_docs(),
        ])
        assert ids(backend, '"nguyen van an"') == ["d-phrase"]
        assert ids(backend, "“Nguyễn Văn An”") == ["d-phrase"]  # typographic quotes
        assert set(ids(backend, "nguyen van an")) == {"d-phrase", "d-scattered"}
        assert ids(backend, '"an van nguyen"') == []

    def test_all_terms_are_required(self, backend: SearchBackend) -> None:
        backend.index_documents([doc("d-1", "giấy khai sinh"), doc("d-2", "giấy chứng tử"), *filler_docs()])
        assert ids(backend, "giay sinh") == ["d-1"]
        assert ids(backend, "giay khongco") == []

    @pytest.mark.parametrize("typed", ["002171179082", "123/QĐ-UBND", "123/qd-ubnd", "số 123/QĐ-UBND"])
    def test_identifiers_are_found(self, backend: SearchBackend, typed: str) -> None:
        backend.index_documents([
            doc("d-id", "Quyết định số 123/QĐ-UBND ngày 5/3/2024; CCCD số 002171179082"),
            doc("d-other", "Quyết định số 124/QĐ-UBND; 123 hộ dân; CCCD 002171179083"),
            *filler_docs(),
        ])
        assert ids(backend, typed) == ["d-id"]

    # -- ranking: phrases, names, exact diacritics, boilerplate -------------------------

    def test_words_together_rank_above_words_near_above_words_scattered(self, backend: SearchBackend) -> None:
        # The scattered page repeats the words more, and its id would win a tie.
        backend.index_documents([
            doc("a-scattered", "Ông Bùi Văn Tám, thị trấn Hòa Bình; an ninh thôn; Bùi Xuân; thị xã; an toàn"),
            doc("b-near", "Danh sách: Bùi Thị Lan và Trần Văn An, thôn 3"),
            doc("c-phrase", "Họ và tên: BÙI THỊ AN, sinh năm 1990"),
            *filler_docs(),
        ])
        assert ids(backend, "bui thi an") == ["c-phrase", "b-near", "a-scattered"]
        assert ids(backend, "Bùi Thị An") == ["c-phrase", "b-near", "a-scattered"]

    def test_a_name_of_the_record_ranks_above_the_same_words_in_running_text(self, backend: SearchBackend) -> None:
        backend.index_documents([
            doc("a-text", "Biên bản họp: ông Nguyễn Văn An phát biểu; ông Nguyễn Văn An đồng ý"),
            doc("z-owner", "Họ, chữ đệm, tên: NGUYỄN VĂN AN", "Trang 2: nơi cư trú thôn 4",
                names=["Nguyễn Văn An", "Lê Thị Hoa"]),
            *filler_docs(),
        ])
        result = backend.search(SearchQuery(q="nguyen van an", size=100))
        assert (result.hits[0].document_id, result.hits[0].page) == ("z-owner", 1)
        assert {(h.document_id, h.page) for h in result.hits} == {("z-owner", 1), ("z-owner", 2), ("a-text", 1)}
        assert ids(backend, "le thi hoa") == ["z-owner", "z-owner"]  # the record names her: both its pages

    def test_a_name_read_with_one_tone_error_is_found_typed_with_or_without_marks(
            self, backend: SearchBackend) -> None:
        backend.index_documents([
            doc("a-ocr", "Họ và tên: ĐÔ NGỌC HÒA, thôn 2"),  # OCR read Đỗ as Đô
            doc("z-exact", "Họ và tên: ĐỖ NGỌC HÒA, thôn 5"),
            doc("m-other", "Họ và tên: ĐỖ VĂN NGỌC, xã Hòa An"),
            *filler_docs(),
        ])
        assert ids(backend, "Đỗ Ngọc Hòa")[:2] == ["z-exact", "a-ocr"]  # exact diacritics first
        assert set(ids(backend, "do ngoc hoa")[:2]) == {"a-ocr", "z-exact"}
        assert ids(backend, '"do ngoc hoa"') == ["a-ocr", "z-exact"]

    @pytest.mark.parametrize(("typed", "name"), [("hoa", "Hòa"), ("phuc", "Phúc"), ("hạnh phúc", "Hạnh Phúc")])
    def test_boilerplate_weighs_almost_nothing(self, backend: SearchBackend, typed: str, name: str) -> None:
        motto = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\nỦY BAN NHÂN DÂN"
        backend.index_documents([
            *(doc(f"a-motto-{i}", f"{motto}\nGIẤY XÁC NHẬN\nthôn {i}, cấp cho công dân") for i in range(5)),
            doc("z-name", f"Giấy khai sinh của em Trần {name}, thôn 9. " + " ".join(FILLER)),  # long: bm25 alone
            # would prefer the short motto pages
            *filler_docs(),
        ])
        found = ids(backend, typed)
        assert found[0] == "z-name"
        assert len(found) == 6  # the motto still matches, below

    def test_total_is_exact_when_few_pages_match(self, backend: SearchBackend) -> None:
        backend.index_documents([doc(f"d-{i}", "giấy khai sinh") for i in range(3)])
        result = backend.search(SearchQuery(q="khai sinh"))
        assert (result.total, result.total_is_capped) == (3, False)

    def test_total_is_capped_when_more_pages_match(self, backend: SearchBackend) -> None:
        backend.index_documents([doc(f"d-{i:05d}", f"giấy khai sinh số {i}") for i in range(TOTAL_CAP + 2)])
        result = backend.search(SearchQuery(q="khai sinh", size=5))
        assert (result.total, result.total_is_capped, len(result.hits)) == (TOTAL_CAP, True, 5)
        assert backend.search(SearchQuery(q="so 7")).total == 1

    # -- user input is data, never syntax -------------------------------------------

    @pytest.mark.parametrize(
        "bad",
        ['"unbalanced', 'ma "van', "***", '"***"', "(", "-", '" "', "x" * 600, " ".join(["ma"] * 40)],
    )
    def test_malformed_query_is_invalid_query(self, backend: SearchBackend, bad: str) -> None:
        backend.index_documents([doc("d-1", "ma")])
        with pytest.raises(InvalidQuery):
            backend.search(SearchQuery(q=bad))

    @pytest.mark.parametrize(
        ("typed", "expected"),
        [
            ("ma*", ["d-ma"]),  # no prefix search: "mai" is not found
            ("-ma", ["d-ma"]),  # no exclusion: "-" is a separator
            ("ma OR mai", []),  # "or" is a word like any other, and required
            ("NEAR(ma mai)", []),
            ("exact:ma", []),
            ("folded : ma", []),
            ("{exact folded}: ma", []),
            ("^ma", ["d-ma"]),
            ("(ma)", ["d-ma"]),
            ("ma'", ["d-ma"]),
            ("text:ma", []),
            ('ma AND "mai', None),  # unbalanced: InvalidQuery
            ("ma\\", ["d-ma"]),
            ("ma; DROP TABLE pages; --", []),
        ],
    )
    def test_query_syntax_in_user_input_is_escaped(
        self, backend: SearchBackend, typed: str, expected: list[str] | None
    ) -> None:
        backend.index_documents([doc("d-ma", "con ma"), doc("d-mai", "hoa mai"), *filler_docs()])
        if expected is None:
            with pytest.raises(InvalidQuery):
                backend.search(SearchQuery(q=typed))
            return
        assert ids(backend, typed) == expected
        assert backend.count() == 2 + len(FILLER)

    @pytest.mark.parametrize(
        "paging",
        [{"size": 0}, {"size": 1000}, {"page": 0}, {"page": 10_000, "size": 100},
         {"search_after": ["x"]}, {"search_after": [1.0, 5, 1]}, {"search_after": "abc"}],
    )
    def test_bad_paging_is_invalid_query(self, backend: SearchBackend, paging: dict[str, Any]) -> None:
        with pytest.raises(InvalidQuery):
            backend.search(SearchQuery(q="ma", **paging))

    # -- snippets --------------------------------------------------------------------

    def test_snippet_marks_original_word_even_when_match_was_folded(self, backend: SearchBackend) -> None:
        backend.index_documents([doc("d-1", "Ông Nguyễn Văn Bình, trú tại Đà Nẵng"), *filler_docs()])
        snippet = backend.search(SearchQuery(q="binh da nang")).hits[0].snippet
        assert "<mark>Bình</mark>" in snippet
        assert "<mark>Đà</mark>" in snippet and "<mark>Nẵng</mark>" in snippet
        assert "<mark>Văn</mark>" not in snippet

    def test_snippet_is_html_escaped(self, backend: SearchBackend) -> None:
        backend.index_documents([doc("d-x", 'Ghi chú <script>alert("x")</script> & Bình <b>')])
        snippet = backend.search(SearchQuery(q="binh")).hits[0].snippet
        assert "<script>" not in snippet and "<b>" not in snippet
        assert "&lt;script&gt;" in snippet and "&amp;" in snippet
        assert "<mark>Bình</mark>" in snippet

    def test_snippet_of_long_page_shows_the_match(self, backend: SearchBackend) -> None:
        long_text = " ".join(["văn bản"] * 400) + " người nhận Lê Thị Hồng " + " ".join(["kết thúc"] * 400)
        backend.index_documents([doc("d-long", long_text)])
        snippet = backend.search(SearchQuery(q="hong")).hits[0].snippet
        assert "<mark>Hồng</mark>" in snippet
        assert len(snippet) < 1000

    # -- hits, pagination, deep paging ------------------------------------------------

    def test_hit_carries_page_number_filename_score_and_sort(self, backend: SearchBackend) -> None:
        backend.index_documents([doc("d-1", "trang một", "trang hai có Phạm Minh", filename="hs.pdf"), *filler_docs()])
        result = backend.search(SearchQuery(q="pham minh"))
        assert result.total == 1
        hit = result.hits[0]
        assert (hit.document_id, hit.page, hit.filename) == ("d-1", 2, "hs.pdf")
        assert isinstance(hit.score, float) and hit.score > 0
        assert hit.sort is not None

    def _many(self, backend: SearchBackend, n: int = 25) -> None:
        docs = [doc(f"d-{i:03d}", f"hộ tịch số {i} " + "khai sinh " * (i % 4)) for i in range(n)]
        backend.index_documents(docs)

    def test_pages_have_no_overlap_or_gap_and_stable_total(self, backend: SearchBackend) -> None:
        self._many(backend)
        seen: list[tuple[str, int]] = []
        for page in (1, 2, 3):
            result = backend.search(SearchQuery(q="ho tich", page=page, size=10))
            assert result.total == 25
            seen += [(h.document_id, h.page) for h in result.hits]
        assert len(seen) == 25 and len(set(seen)) == 25
        assert backend.search(SearchQuery(q="ho tich", page=4, size=10)).hits == []

    def test_pages_of_a_ranked_answer_follow_its_order(self, backend: SearchBackend) -> None:
        # several ranking tiers of a few pages each: page 3 must not depend on re-ranking page 1
        backend.index_documents([
            *(doc(f"n-{i}", f"Đơn của bà Lê Thị Hoa, thôn {i}", names=["Lê Thị Hoa"]) for i in range(4)),
            *(doc(f"p-{i}", f"Người làm chứng: LÊ THỊ HOA, thôn {i}") for i in range(4)),
            *(doc(f"s-{i}", f"Lê Văn Hùng, thôn {i}; Trần Thị Mai; xã Hoa Lư") for i in range(4)),
            *filler_docs(),
        ])
        full = [(h.document_id, h.page) for h in backend.search(SearchQuery(q="le thi hoa", size=100)).hits]
        paged = [(h.document_id, h.page) for page in range(1, 6)
                 for h in backend.search(SearchQuery(q="le thi hoa", page=page, size=3)).hits]
        assert paged == full and len(full) == 12
        assert [d[0] for d, _ in full] == ["n"] * 4 + ["p"] * 4 + ["s"] * 4

    def test_search_after_walk_equals_full_result(self, backend: SearchBackend) -> None:
        self._many(backend)
        full = [(h.document_id, h.page) for h in backend.search(SearchQuery(q="ho tich", size=100)).hits]
        walked: list[tuple[str, int]] = []
        after = None
        for _ in range(6):  # 25 hits in pages of 7: 4 full-or-partial pages, then an empty one
            result = backend.search(SearchQuery(q="ho tich", size=7, search_after=after))
            assert result.total == 25
            if not result.hits:
                break
            walked += [(h.document_id, h.page) for h in result.hits]
            assert result.hits[-1].sort != after, "search_after did not advance"
            after = result.hits[-1].sort
        else:
            pytest.fail(f"search_after walk did not end: {walked}")
        assert walked == full and len(full) == 25

    def test_sort_by_issue_date_newest_first_undated_last_across_pages(self, backend: SearchBackend) -> None:
        dated = {"d-old": date(2019, 5, 2), "d-new": date(2025, 3, 12), "d-mid": date(2023, 1, 9)}
        backend.index_documents([
            *[doc(i, f"giấy phép của Đỗ Thị Lan số {i}", issue_date=d) for i, d in dated.items()],
            doc("d-none", "Đỗ Thị Lan nộp tờ khai Đỗ Thị Lan"), *filler_docs(),
        ])
        by_relevance = ids(backend, "do thi lan")
        assert by_relevance[0] == "d-none"  # the name twice: the best match
        walked = [h.document_id for page in (1, 2)
                  for h in backend.search(SearchQuery(q="do thi lan", size=2, page=page,
                                                      sort=SearchSort.ISSUE_DATE)).hits]
        assert walked == ["d-new", "d-mid", "d-old", "d-none"]
        assert all(h.sort is None for h in backend.search(SearchQuery(q="do thi lan", sort=SearchSort.ISSUE_DATE)).hits)
        with pytest.raises(InvalidQuery):  # deep paging follows relevance only
            backend.search(SearchQuery(q="do thi lan", sort=SearchSort.ISSUE_DATE, search_after=[1.0, "d-new", 1]))

    def test_empty_query_matches_everything_with_filters(self, backend: SearchBackend) -> None:
        backend.index_documents([doc("d-1", "a", "b", agency_code="UBND-P1"), doc("d-2", "c", agency_code="TP")])
        assert backend.search(SearchQuery(q="")).total == 3
        result = backend.search(SearchQuery(q="  ", filters=SearchFilters(agency_code="UBND-P1")))
        assert result.total == 2 and {h.page for h in result.hits} == {1, 2}

    # -- filters -----------------------------------------------------------------------

    def _filter_corpus(self, backend: SearchBackend) -> None:
        common = "hồ sơ đăng ký"
        backend.index_documents([
            doc("d-a", common, batch_ids=["b-1"], agency_code="UBND-BN", procedure_code="KS",
                uploaded_at=datetime(2024, 3, 1, 18, 30, tzinfo=UTC),  # 2 Mar in Hà Nội time
                owner_ids=["001085000111"], doc_type="cccd", valid_from=date(2020, 1, 1),
                valid_until=date(2030, 1, 1)),
            doc("d-b", common, batch_ids=["b-1", "b-2"], agency_code="UBND-BN", procedure_code="KH",
                uploaded_at=datetime(2024, 3, 1, 10, 0, tzinfo=UTC), status="indexed",
                owner_ids=["001085000222"], doc_type="giay_khai_sinh", valid_from=date(1990, 5, 1),
                permanent=True),
            doc("d-c", common, batch_ids=["b-3"], agency_code="STP", procedure_code="KS",
                uploaded_at=datetime(2024, 2, 28, 17, 1, tzinfo=UTC), status="failed",  # 29 Feb
                owner_ids=["001085000111"], doc_type="cccd", valid_from=date(2010, 1, 1),
                valid_until=date(2020, 1, 1)),
            doc("d-d", common),
        ])

    @pytest.mark.parametrize(
        ("filters", "expected"),
        [
            (SearchFilters(batch_id="b-1"), {"d-a", "d-b"}),
            (SearchFilters(batch_id="b-2"), {"d-b"}),
            (SearchFilters(agency_code="UBND-BN"), {"d-a", "d-b"}),
            (SearchFilters(procedure_code="KS"), {"d-a", "d-c"}),
            (SearchFilters(status="failed"), {"d-c"}),
            (SearchFilters(uploaded_from=date(2024, 3, 2)), {"d-a"}),
            (SearchFilters(uploaded_to=date(2024, 3, 1)), {"d-b", "d-c"}),
            (SearchFilters(uploaded_from=date(2024, 3, 1), uploaded_to=date(2024, 3, 1)), {"d-b"}),
            (SearchFilters(uploaded_from=date(2024, 2, 29), uploaded_to=date(2024, 2, 29)), {"d-c"}),
            (SearchFilters(owner_id="001085000111"), {"d-a", "d-c"}),
            (SearchFilters(doc_type="cccd"), {"d-a", "d-c"}),
            (SearchFilters(valid_on=date(2025, 6, 1)), {"d-a", "d-b"}),
            (SearchFilters(valid_on=date(2015, 6, 1)), {"d-b", "d-c"}),
            (SearchFilters(valid_on=date(1980, 1, 1)), set()),
            (SearchFilters(agency_code="UBND-BN", procedure_code="KS", batch_id="b-1"), {"d-a"}),
            (SearchFilters(agency_code="nope"), set()),
        ],
    )
    def test_each_filter(self, backend: SearchBackend, filters: SearchFilters, expected: set[str]) -> None:
        self._filter_corpus(backend)
        assert set(ids(backend, "ho so", filters=filters)) == expected
        assert set(ids(backend, "", filters=filters)) == expected
        assert backend.count(filters) == len(expected)
        assert backend.search(SearchQuery(q="dang ky", filters=filters)).total == len(expected)

    # -- facets ------------------------------------------------------------------------

    def _facet_corpus(self, backend: SearchBackend) -> None:
        backend.index_documents([
            flagged_doc("d-a", "hồ sơ khai sinh", "hồ sơ trang hai", flagged=(2,), agency_code="UBND-BN",
                        procedure_code="KS", doc_type="giay_khai_sinh", issue_date=date(2023, 5, 1)),
            flagged_doc("d-b", "hồ sơ kết hôn", flagged=(1,), agency_code="UBND-BN", procedure_code="KH",
                        doc_type="trich_luc_ket_hon", issue_date=date(2023, 12, 31)),
            flagged_doc("d-c", "hồ sơ khai sinh cũ", agency_code="STP", procedure_code="KS",
                        doc_type="giay_khai_sinh", issue_date=date(2021, 1, 1), status="failed"),
            flagged_doc("d-d", "giấy tờ khác", agency_code="STP", issue_date=date(2019, 6, 1)),
            flagged_doc("d-e", "hồ sơ không rõ loại"),
        ])

    def test_facets_count_every_matching_page_by_each_field(self, backend: SearchBackend) -> None:
        self._facet_corpus(backend)
        assert facets(backend, "ho so", size=1) == {
            "doc_type": [("giay_khai_sinh", 3), ("trich_luc_ket_hon", 1)],
            "agency_code": [("UBND-BN", 3), ("STP", 1)],
            "procedure_code": [("KS", 3), ("KH", 1)],
            "issue_year": [("2023", 3), ("2021", 1)],
            "status": [("indexed", 4), ("failed", 1)],
            "needs_review": [("false", 3), ("true", 2)],
        }
        assert backend.search(SearchQuery(q="ho so")).facets is None  # only when asked

    def test_facets_follow_the_query_and_filters_not_the_page(self, backend: SearchBackend) -> None:
        self._facet_corpus(backend)
        scoped = facets(backend, "ho so", filters=SearchFilters(agency_code="UBND-BN"))
        assert scoped["doc_type"] == [("giay_khai_sinh", 2), ("trich_luc_ket_hon", 1)]
        assert scoped["needs_review"] == [("true", 2), ("false", 1)]
        everything = facets(backend, "", page=2, size=2)
        assert everything["agency_code"] == [("UBND-BN", 3), ("STP", 2)]  # d-d too: no query
        assert everything["issue_year"] == [("2023", 3), ("2019", 1), ("2021", 1)]  # ties by value
        assert facets(backend, "khongco")["doc_type"] == []

    @pytest.mark.parametrize(("filters", "expected"), [
        (SearchFilters(issue_year=2023), {("d-a", 1), ("d-a", 2), ("d-b", 1)}),
        (SearchFilters(issue_year=2021), {("d-c", 1)}),
        (SearchFilters(issue_year=2022), set()),
        (SearchFilters(needs_review=True), {("d-a", 2), ("d-b", 1)}),
        (SearchFilters(needs_review=False), {("d-a", 1), ("d-c", 1), ("d-e", 1)}),
        (SearchFilters(needs_review=True, issue_year=2023, agency_code="UBND-BN"), {("d-a", 2), ("d-b", 1)}),
        # issue-date range, both ends inclusive; an undated record (d-e) is outside every range
        (SearchFilters(issued_from=date(2023, 5, 1), issued_to=date(2023, 12, 31)),
         {("d-a", 1), ("d-a", 2), ("d-b", 1)}),
        (SearchFilters(issued_from=date(2023, 5, 2)), {("d-b", 1)}),
        (SearchFilters(issued_to=date(2023, 4, 30)), {("d-c", 1)}),
        (SearchFilters(issued_from=date(2023, 12, 31), issued_to=date(2023, 12, 31)), {("d-b", 1)}),
        (SearchFilters(issued_from=date(2022, 1, 1), issued_to=date(2022, 12, 31)), set()),
        (SearchFilters(issued_from=date(1, 1, 1), issued_to=date(9999, 12, 31), needs_review=False),
         {("d-a", 1), ("d-c", 1)}),
    ])
    def test_issue_year_date_range_and_needs_review_filters(self, backend: SearchBackend, filters: SearchFilters,
                                                 expected: set[tuple[str, int]]) -> None:
        self._facet_corpus(backend)
        result = backend.search(SearchQuery(q="ho so", filters=filters, size=100, facets=True))
        assert {(h.document_id, h.page) for h in result.hits} == expected
        assert result.total == len(expected) == sum(c for _, c in facets(backend, "ho so", filters=filters)["status"])

    def test_a_facet_lists_the_most_frequent_values_first(self, backend: SearchBackend) -> None:
        backend.index_documents([doc(f"d-{i:02d}", *(["mẫu đơn"] * (1 + i % 3)), procedure_code=f"P{i:02d}")
                                 for i in range(FACET_SIZE + 5)])
        buckets = facets(backend, "mau don")["procedure_code"]
        assert len(buckets) == FACET_SIZE
        assert buckets[:3] == [("P02", 3), ("P05", 3), ("P08", 3)]
        assert [c for _, c in buckets] == sorted((c for _, c in buckets), reverse=True)

    def test_rebuild_keeps_the_facet_fields(self, backend: SearchBackend) -> None:
        backend.rebuild([flagged_doc("d-1", "trang một", "trang hai", flagged=(2,), issue_date=date(2020, 2, 29))])
        assert facets(backend, "trang")["issue_year"] == [("2020", 2)]
        assert ids(backend, "trang", filters=SearchFilters(needs_review=True)) == ["d-1"]

    # -- writes ------------------------------------------------------------------------

    def test_reindexing_a_document_replaces_it_without_duplicates(self, backend: SearchBackend) -> None:
        first = doc("d-1", "bản cũ Trương Văn Cũ", "trang hai", batch_ids=["b-1"])
        backend.index_documents([first])
        backend.index_documents([first])
        assert backend.count() == 2
        assert backend.search(SearchQuery(q="truong")).total == 1
        backend.index_documents([doc("d-1", "bản mới Trương Văn Mới", batch_ids=["b-2"])])
        assert backend.count() == 1
        assert ids(backend, "moi") == ["d-1"] and ids(backend, "cu") == []
        assert backend.count(SearchFilters(batch_id="b-1")) == 0
        assert backend.count(SearchFilters(batch_id="b-2")) == 1

    def test_delete_document(self, backend: SearchBackend) -> None:
        backend.index_documents([doc("d-1", "Hồ Văn Xóa", "x"), doc("d-2", "Hồ Văn Giữ")])
        backend.delete_document("d-1")
        assert ids(backend, "ho van") == ["d-2"]
        assert backend.count() == 1
        backend.delete_document("d-1")  # deleting twice is harmless
        backend.delete_document("never-indexed")
        assert backend.count() == 1

    def test_rebuild_swaps_in_new_content(self, backend: SearchBackend) -> None:
        backend.index_documents([doc("d-old", "nội dung cũ Lý Cũ")])
        assert backend.rebuild([doc("d-new", "nội dung mới Lý Mới", "trang 2"), doc("d-new2", "Lý Hai")]) == 2
        assert ids(backend, "ly cu") == []
        assert ids(backend, "ly moi") == ["d-new"]
        assert backend.count() == 3
        backend.index_documents([doc("d-after", "Lý Sau")])  # the new version takes writes
        assert ids(backend, "ly sau") == ["d-after"]
        assert backend.rebuild([]) == 0
        assert backend.count() == 0

    def test_count_with_and_without_filters(self, backend: SearchBackend) -> None:
        assert backend.count() == 0
        backend.index_documents([
            doc("d-1", "a", "b", "c", batch_ids=["b-1"], status="indexed"),
            doc("d-2", "d", batch_ids=["b-2"], status="failed"),
        ])
        assert backend.count() == 4
        assert backend.count(SearchFilters()) == 4
        assert backend.count(SearchFilters(batch_id="b-1")) == 3
        assert backend.count(SearchFilters(status="failed")) == 1

    def test_ping(self, backend: SearchBackend) -> None:
        assert backend.ping() is True
