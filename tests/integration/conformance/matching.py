"""Vietnamese matching (folding, tones, NFD, đ, phrases, identifiers), user input that is data and
never syntax, and snippets."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from search.base import SearchBackend, SearchQuery
from sohoa.core.errors import InvalidQuery
from tests.integration.conformance.corpus import FILLER, doc, filler_docs, ids


class MatchingConformance:
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
