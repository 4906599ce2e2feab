"""What the conformance tests index and how they read answers: documents in one call,
filler pages so term statistics look like a real corpus, hits as ids or facet counts."""

from __future__ import annotations

from typing import Any

from search.base import IndexedDocument, IndexedPage, SearchBackend, SearchQuery

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
