"""Ranking: names of the record, then the words together, near, scattered; boilerplate last; exact
diacritics first; totals exact or capped."""

from __future__ import annotations

import pytest

from search.base import TOTAL_CAP, SearchBackend, SearchQuery
from tests.integration.conformance.corpus import FILLER, doc, filler_docs, ids


class RankingConformance:
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
