"""Hits, pages of results, deep paging, the issue-date order, and writes (replace, delete,
rebuild, count)."""

from __future__ import annotations

from datetime import date

import pytest

from search.base import SearchBackend, SearchFilters, SearchQuery
from sohoa.core.errors import InvalidQuery
from sohoa.core.vocab import SearchSort
from tests.integration.conformance.corpus import doc, filler_docs, ids


class PagingConformance:
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
