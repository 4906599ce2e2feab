"""Filters (each alone and combined, the Hà Nội calendar day of uploads, valid on a day) and facets."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from search.base import FACET_SIZE, SearchBackend, SearchFilters, SearchQuery
from tests.integration.conformance.corpus import doc, facets, flagged_doc, ids


class FilterConformance:
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
