"""The one interface every search backend implements, and the values that cross it.

Backends receive already-normalized data (NFC page text) and return plain dataclasses;
``api/`` turns them into JSON. Query semantics are pinned by the shared conformance suite
in ``tests/integration/conformance/``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import pairwise
from typing import Any, Protocol, runtime_checkable

from sohoa.core.vocab import SearchSort

FACET_SIZE = 20  # buckets per facet: the most frequent values
# Matching pages counted exactly; beyond, a total says "at least" ("1 000+"). Counting is
# the costliest part of a search for common words (a conjunction scanned to its end), and
# nobody reads past a thousand results of a name search: they refine it.
TOTAL_CAP = 1_000
FACET_CAP = 10_000  # the embedded index's facets count at most this many matching pages


@dataclass(frozen=True)
class IndexedPage:
    number: int  # 1-based
    text: str  # NFC
    needs_review: bool = False  # OCR confidence below the threshold


@dataclass(frozen=True, kw_only=True)
class IndexedRecord:
    """A record as the index keeps it for the pages it covers: who and what it is (given back
    with each hit), what filters and facets test, and the people it names (ranking)."""

    record_id: str | None = None
    owner_name: str | None = None
    doc_number: str | None = None
    # Reusable-record facets (filled once fields are extracted; all optional).
    owner_ids: list[str] = field(default_factory=list)
    doc_type: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    permanent: bool | None = None
    legal_status: str | None = None
    issue_date: date | None = None
    # People the record names (owner, child, parents, spouses, representative, requester),
    # as extracted or corrected: a query matching one of them ranks above running text.
    names: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class IndexedPart(IndexedRecord):
    """One paper document of the file, pages ``first_page``..``last_page``, and its record."""

    first_page: int
    last_page: int


@dataclass(frozen=True)
class IndexedDocument(IndexedRecord):
    """Everything a backend stores about one document (all pages replaced at once).

    Each page is indexed with the record of the part it belongs to (``parts``), so a person
    named in the third paper of a stack is found by that paper's pages, and its filters and
    facets are that paper's; a page in no part gets the fields inherited from
    ``IndexedRecord``: the file's own record, when it has one (``record_of``).
    """

    document_id: str
    pages: list[IndexedPage]
    batch_ids: list[str] = field(default_factory=list)
    agency_code: str | None = None
    procedure_code: str | None = None
    uploaded_at: datetime | None = None
    status: str = "indexed"
    filename: str | None = None
    parts: list[IndexedPart] = field(default_factory=list)

    def __post_init__(self) -> None:
        spans = sorted((p.first_page, p.last_page) for p in self.parts)
        if any(first > last or first < 1 for first, last in spans) or any(
                a[1] >= b[0] for a, b in pairwise(spans)):
            raise ValueError(f"document {self.document_id}: parts must be page ranges that do not overlap: {spans}")

    def record_of(self, page: int) -> IndexedRecord:
        """The record page ``page`` is indexed with: its part's, else the file's own."""
        return next((p for p in self.parts if p.first_page <= page <= p.last_page), self)


@dataclass(frozen=True)
class SearchFilters:
    batch_id: str | None = None
    agency_code: str | None = None
    procedure_code: str | None = None
    uploaded_from: date | None = None  # inclusive, calendar date in Asia/Ho_Chi_Minh
    uploaded_to: date | None = None  # inclusive
    status: str | None = None
    owner_id: str | None = None
    doc_type: str | None = None
    valid_on: date | None = None  # valid_from <= d and (permanent or d <= valid_until)
    issue_year: int | None = None  # the record's issue date falls in that year
    issued_from: date | None = None  # the record's issue date is on or after that day
    issued_to: date | None = None  # on or before it (undated records match no issue-date filter)
    needs_review: bool | None = None  # the page is (or is not) flagged for review


@dataclass(frozen=True)
class SearchQuery:
    q: str
    filters: SearchFilters = field(default_factory=SearchFilters)
    page: int = 1  # 1-based page of results
    size: int = 20
    search_after: list[Any] | None = None  # deep paging; when set, ``page`` is ignored
    facets: bool = False  # count the matching pages by each ``SearchFacet`` too
    sort: SearchSort = SearchSort.RELEVANCE  # by issue date: hits carry no ``sort`` (page paging only)


@dataclass(frozen=True)
class SearchHit:
    document_id: str
    page: int
    score: float
    snippet: str  # HTML-escaped text with <mark>…</mark> around matches
    filename: str | None = None
    sort: list[Any] | None = None  # pass back as ``search_after`` for the next page
    # Who and what the page is: the record it was indexed with (its part's, see
    # ``IndexedDocument.record_of``), as it stood when the page was indexed.
    record_id: str | None = None
    owner_name: str | None = None
    doc_type: str | None = None
    doc_number: str | None = None
    issue_date: date | None = None


@dataclass(frozen=True)
class FacetBucket:
    value: str  # the field's value; issue years as "2023", needs_review as "true"/"false"
    count: int  # matching pages with it


@dataclass(frozen=True)
class SearchResult:
    total: int
    hits: list[SearchHit]
    # ``SearchFacet`` name → the ``FACET_SIZE`` most frequent values among ALL matching pages
    # (not only this page of hits), most frequent first, ties by value; pages without the
    # field are in no bucket. None unless the query asked for facets.
    facets: dict[str, list[FacetBucket]] | None = None
    # More pages match than were counted: ``total`` is a lower bound (``TOTAL_CAP``, "1 000+").
    total_is_capped: bool = False


def top_buckets(counts: dict[str, int]) -> list[FacetBucket]:
    """The order and cut every backend answers with."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [FacetBucket(value, count) for value, count in ranked[:FACET_SIZE] if count > 0]


@runtime_checkable
class SearchBackend(Protocol):
    name: str

    def index_documents(self, documents: Iterable[IndexedDocument]) -> None:
        """Add or replace documents (idempotent: same input, same index)."""

    def delete_document(self, document_id: str) -> None: ...

    def search(self, query: SearchQuery) -> SearchResult: ...

    def count(self, filters: SearchFilters | None = None) -> int:
        """Number of indexed pages matching the filters."""

    def rebuild(self, documents: Iterable[IndexedDocument]) -> int:
        """Build a new index version from scratch, swap it in atomically, return doc count."""

    def needs_rebuild(self) -> bool:
        """The index was written in a layout this code does not read: ``rebuild`` it."""

    def ping(self) -> bool: ...

    def close(self) -> None: ...
